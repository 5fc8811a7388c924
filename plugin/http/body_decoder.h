#ifndef PLUGIN_HTTP_BODY_DECODER_H_
#define PLUGIN_HTTP_BODY_DECODER_H_

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace promscrape::http::internal {

// A reusable gzip decoder: zlib's state plus its 32 KiB window.
// Thread-compatible.
class Inflater {
 public:
  Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater();

  // Prepares for a new gzip stream; false if zlib cannot allocate.
  bool Reset();
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_;
  bool ready_ = false;
};

// Free `Inflater`s kept for reuse by one event loop; beyond `max_free`,
// returned ones are freed so a one-off burst does not pin memory.
// Thread-compatible (the loop thread only).
class InflaterPool {
 public:
  explicit InflaterPool(size_t max_free) : max_free_(max_free) {}
  std::unique_ptr<Inflater> Acquire();
  void Release(std::unique_ptr<Inflater> inflater);

 private:
  const size_t max_free_;
  std::vector<std::unique_ptr<Inflater>> free_;
};

// Turns the received bytes of one 200 response into the scrape body, as
// Prometheus' readResponse does: decodes "Content-Encoding: gzip" (several
// concatenated members, like Go's gzip.Reader) and counts decompressed bytes
// against the body size limit. Used by both transports so errors read the
// same. Thread-compatible; lives in one request's state.
class BodyDecoder {
 public:
  BodyDecoder() = default;
  BodyDecoder(const BodyDecoder&) = delete;
  BodyDecoder& operator=(const BodyDecoder&) = delete;

  // Starts a body appended to `*body`, which must outlive the decoder's use.
  // `limit` <= 0 means unlimited. A known `content_length` of an unencoded
  // body reserves the buffer up front. An inflater comes from `pool` (which
  // must outlive this) on the first gzip byte.
  void Begin(std::string* body, int64_t limit, bool gzip,
             int64_t content_length, InflaterPool* pool);
  bool started() const { return body_ != nullptr; }

  // Appends `size` received bytes. Returns false (see `error()`) on a gzip
  // error or once the body reached the limit; the body then holds exactly
  // `limit` bytes.
  bool Write(const char* data, size_t size);

  // After the last byte: `error()`, else the gzip stream's own end-of-data
  // errors ("gzip: EOF", "gzip: unexpected EOF"), else OK.
  absl::Status Finish() const;

  const absl::Status& error() const { return error_; }
  bool limit_exceeded() const { return limit_exceeded_; }

  // Returns the inflater to `pool` for reuse by later bodies.
  void ReleaseInflater();

 private:
  bool Append(const char* data, size_t size);
  bool Inflate(const char* data, size_t size);

  std::string* body_ = nullptr;
  int64_t limit_ = 0;
  bool gzip_ = false;
  InflaterPool* pool_ = nullptr;
  std::unique_ptr<Inflater> inflater_;
  bool member_done_ = false;
  uint64_t bytes_in_ = 0;
  bool limit_exceeded_ = false;
  absl::Status error_;
};

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_BODY_DECODER_H_
