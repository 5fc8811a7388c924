#ifndef PLUGIN_HTTP_HTTP1_RESPONSE_PARSER_H_
#define PLUGIN_HTTP_HTTP1_RESPONSE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace promscrape::http::internal {

// An incremental parser of one HTTP/1.0 or HTTP/1.1 response to a GET, fed
// whatever bytes each read returned: the status line and headers (names
// case-insensitive), then the body framed by Transfer-Encoding: chunked,
// Content-Length, or the connection's close. Interim 1xx responses are
// skipped. The head is bounded by `max_head_bytes`; everything else is
// streamed, never buffered whole. Malformed input is an error, never a read
// past the given bytes.
//
// Errors are kUnavailable with Go's words for the problem, e.g.
// `net/http: HTTP/1.x transport connection broken: malformed HTTP response
// "garbage"`; callers prefix the request ("Get \"<url>\": ").
//
// Thread-compatible. One per connection, `Reset()` before each response, so
// its buffers are reused.
class Http1ResponseParser {
 public:
  using BodyCallback = absl::FunctionRef<bool(absl::string_view)>;

  explicit Http1ResponseParser(size_t max_head_bytes)
      : max_head_bytes_(max_head_bytes) {}

  // Forgets the previous response, keeping buffer capacity.
  void Reset();

  // Parses a prefix of `data` and returns how many bytes it used. Stops
  // right after the head is complete (so the caller can look at the head
  // before the first body byte), when the response is complete (the rest
  // of `data` belongs to no response), or when `on_body` returns false.
  // Otherwise uses all of `data`. Body bytes go to `on_body`, possibly in
  // several calls. Fails on malformed input; the parser is then unusable
  // until `Reset()`.
  absl::StatusOr<size_t> Parse(absl::string_view data, BodyCallback on_body);

  // The peer closed the connection. Returns true when that completes the
  // response (a body delimited by close), false when the response is cut.
  bool OnEof();

  // Any response byte arrived since `Reset()`.
  bool started() const { return started_; }
  bool head_done() const { return state_ > State::kHead; }
  bool done() const { return state_ == State::kDone; }
  // The body has begun (the head is complete and not every body byte has
  // been seen), used to tell "unexpected EOF" inside the body.
  bool in_body() const { return head_done() && !done(); }

  // The head; valid once `head_done()`, views until `Reset()`.
  int status_code() const { return status_code_; }
  absl::string_view reason() const { return reason_; }
  // The first Content-Type / Content-Encoding / Location value, "" if none.
  absl::string_view content_type() const { return content_type_; }
  absl::string_view content_encoding() const { return content_encoding_; }
  absl::string_view location() const { return location_; }
  // -1 unless the body is delimited by Content-Length.
  int64_t content_length() const { return content_length_; }
  // Whether the connection may carry another request after this response:
  // HTTP/1.1 without "Connection: close", or HTTP/1.0 with
  // "Connection: keep-alive", and a body not delimited by close.
  bool keep_alive() const { return keep_alive_; }

 private:
  enum class State {
    kHead,
    kFixedBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailer,
    kUntilClose,
    kDone,
  };

  absl::StatusOr<size_t> ParseHead(absl::string_view data);
  absl::Status ParseHeadLines();
  absl::Status ParseStatusLine(absl::string_view line);
  absl::Status ParseHeader(absl::string_view line);
  // Collects one CRLF- or LF-terminated line of a chunked body into
  // `line_`. Returns the bytes used; sets `*complete` when the line ended.
  absl::StatusOr<size_t> CollectLine(absl::string_view data, bool* complete);
  absl::Status ParseChunkSize();

  const size_t max_head_bytes_;
  State state_ = State::kHead;
  bool started_ = false;
  // The head as received; the views below point into it.
  std::string head_;
  std::string line_;
  size_t trailer_bytes_ = 0;

  int status_code_ = 0;
  int minor_version_ = 1;
  absl::string_view reason_;
  absl::string_view content_type_;
  absl::string_view content_encoding_;
  absl::string_view location_;
  int64_t content_length_ = -1;
  bool chunked_ = false;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool keep_alive_ = false;
  uint64_t remaining_ = 0;
};

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_HTTP1_RESPONSE_PARSER_H_
