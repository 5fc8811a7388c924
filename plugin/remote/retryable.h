#ifndef PLUGIN_REMOTE_RETRYABLE_H_
#define PLUGIN_REMOTE_RETRYABLE_H_

#include "absl/status/status.h"

namespace promscrape::remote {

// The one place that decides which failures are worth retrying: transport
// trouble (kUnavailable, kDeadlineExceeded, kResourceExhausted, kAborted). Everything
// else would fail the same way again.
bool IsRetryable(const absl::Status& status);

}  // namespace promscrape::remote

#endif  // PLUGIN_REMOTE_RETRYABLE_H_
