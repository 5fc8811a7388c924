#ifndef PLUGIN_COMMON_STATUS_H_
#define PLUGIN_COMMON_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// Status propagation helpers. abseil 20220623 has no ABSL_RETURN_IF_ERROR;
// switch to the ABSL_* macros once abseil >= 20260526 is in use.

#define PROMSCRAPE_STATUS_CONCAT_INNER_(x, y) x##y
#define PROMSCRAPE_STATUS_CONCAT_(x, y) PROMSCRAPE_STATUS_CONCAT_INNER_(x, y)

// Returns `expr`'s status from the enclosing function when it is not OK.
#define PROMSCRAPE_RETURN_IF_ERROR(expr)                 \
  do {                                                   \
    ::absl::Status promscrape_status_ = (expr);          \
    if (!promscrape_status_.ok()) return promscrape_status_; \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status,
// otherwise moves the value into `lhs` (a declaration or an lvalue).
#define PROMSCRAPE_ASSIGN_OR_RETURN(lhs, rexpr)                            \
  PROMSCRAPE_ASSIGN_OR_RETURN_IMPL_(                                       \
      PROMSCRAPE_STATUS_CONCAT_(promscrape_statusor_, __LINE__), lhs, rexpr)

#define PROMSCRAPE_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                      \
  if (!statusor.ok()) return std::move(statusor).status();      \
  lhs = std::move(statusor).value()

namespace promscrape {

// Returns `status` with `context` prefixed to its message ("context: message"),
// keeping its code. OK stays OK. Callers add the job, field path or target so
// users read `job "node": relabel_configs[1]: invalid regex "("`.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace promscrape

#endif  // PLUGIN_COMMON_STATUS_H_
