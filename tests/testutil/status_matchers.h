#ifndef TESTS_TESTUTIL_STATUS_MATCHERS_H_
#define TESTS_TESTUTIL_STATUS_MATCHERS_H_

#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// Status matchers (abseil 20220623 ships none).

namespace promscrape::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

// Matches an absl::Status or absl::StatusOr<T> whose code is `code` and whose
// message matches `message_matcher`.
MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has code ") + absl::StatusCodeToString(code)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(status.message()), result_listener);
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.ok();
}

}  // namespace promscrape::testing

#define PROMSCRAPE_EXPECT_OK(expr) \
  EXPECT_THAT((expr), ::promscrape::testing::IsOk())
#define PROMSCRAPE_ASSERT_OK(expr) \
  ASSERT_THAT((expr), ::promscrape::testing::IsOk())

#define PROMSCRAPE_TESTING_CONCAT_INNER_(x, y) x##y
#define PROMSCRAPE_TESTING_CONCAT_(x, y) PROMSCRAPE_TESTING_CONCAT_INNER_(x, y)

// Asserts `rexpr` (an absl::StatusOr<T>) is OK and moves its value to `lhs`.
#define PROMSCRAPE_ASSERT_OK_AND_ASSIGN(lhs, rexpr)                     \
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN_IMPL_(                                \
      PROMSCRAPE_TESTING_CONCAT_(promscrape_statusor_, __LINE__), lhs, \
      rexpr)
#define PROMSCRAPE_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                          \
  ASSERT_TRUE(statusor.ok()) << statusor.status();                  \
  lhs = std::move(statusor).value()

#endif  // TESTS_TESTUTIL_STATUS_MATCHERS_H_
