#ifndef TOOLS_HOST_HOST_STATUS_H_
#define TOOLS_HOST_HOST_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// The host's own status propagation helpers: the host builds against the C
// ABI and the protos only, never against plugin/common (see
// tools/bazel/BUILD.bazel). Same contract as PROMSCRAPE_RETURN_IF_ERROR and
// PROMSCRAPE_ASSIGN_OR_RETURN.

#define PROMSCRAPE_HOST_CONCAT_INNER_(x, y) x##y
#define PROMSCRAPE_HOST_CONCAT_(x, y) PROMSCRAPE_HOST_CONCAT_INNER_(x, y)

// Returns `expr`'s status from the enclosing function when it is not OK.
#define PROMSCRAPE_HOST_RETURN_IF_ERROR(expr)                          \
  do {                                                                 \
    ::absl::Status promscrape_host_status_ = (expr);                   \
    if (!promscrape_host_status_.ok()) return promscrape_host_status_; \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status,
// otherwise moves the value into `lhs` (a declaration or an lvalue).
#define PROMSCRAPE_HOST_ASSIGN_OR_RETURN(lhs, rexpr)                     \
  PROMSCRAPE_HOST_ASSIGN_OR_RETURN_IMPL_(                                \
      PROMSCRAPE_HOST_CONCAT_(promscrape_host_statusor_, __LINE__), lhs, \
      rexpr)

#define PROMSCRAPE_HOST_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                           \
  if (!statusor.ok()) return std::move(statusor).status();           \
  lhs = std::move(statusor).value()

#endif  // TOOLS_HOST_HOST_STATUS_H_
