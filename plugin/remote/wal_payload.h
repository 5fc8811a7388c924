#ifndef PLUGIN_REMOTE_WAL_PAYLOAD_H_
#define PLUGIN_REMOTE_WAL_PAYLOAD_H_

#include <string>

#include "absl/strings/string_view.h"
#include "plugin/remote/record_kinds.h"

// The payload of one write-ahead log record as the remote-write queue writes
// it: one AppendRecords call (one scrape's records). A header of four
// varints (records in all, then histograms, exemplars and metadata among
// them; the rest are float samples), then the WriteRequest records
// (wire_encoder.h) as they were handed in.
//
// Stateless functions; safe from any thread.
namespace promscrape::remote {

// Appends the header for `kinds` to `out`.
void AppendWalPayloadHeader(const RecordCounts& kinds, std::string* out);

// Splits `payload` into its counts and records. False when the header is
// malformed or the records do not hold exactly the counted number of
// well-formed records (a payload we could not split into requests).
bool ParseWalPayload(absl::string_view payload, RecordCounts* kinds,
                     absl::string_view* records);

}  // namespace promscrape::remote

#endif  // PLUGIN_REMOTE_WAL_PAYLOAD_H_
