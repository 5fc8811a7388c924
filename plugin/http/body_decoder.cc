#include "plugin/http/body_decoder.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace promscrape::http::internal {

Inflater::Inflater() { std::memset(&stream_, 0, sizeof(stream_)); }

Inflater::~Inflater() {
  if (ready_) inflateEnd(&stream_);
}

bool Inflater::Reset() {
  if (!ready_) {
    // 16 + MAX_WBITS: gzip wrapper only, as Go's gzip.Reader.
    ready_ = inflateInit2(&stream_, 16 + MAX_WBITS) == Z_OK;
    return ready_;
  }
  return inflateReset(&stream_) == Z_OK;
}

std::unique_ptr<Inflater> InflaterPool::Acquire() {
  if (free_.empty()) return std::make_unique<Inflater>();
  std::unique_ptr<Inflater> inflater = std::move(free_.back());
  free_.pop_back();
  return inflater;
}

void InflaterPool::Release(std::unique_ptr<Inflater> inflater) {
  if (inflater != nullptr && free_.size() < max_free_) {
    free_.push_back(std::move(inflater));
  }
}

void BodyDecoder::Begin(std::string* body, int64_t limit, bool gzip,
                        int64_t content_length, InflaterPool* pool) {
  body_ = body;
  limit_ = limit;
  gzip_ = gzip;
  pool_ = pool;
  member_done_ = false;
  bytes_in_ = 0;
  limit_exceeded_ = false;
  error_ = absl::OkStatus();
  // Reserve from the announced length when the reused buffer is too small;
  // gzip bodies grow from the buffer's previous capacity.
  if (!gzip && content_length > 0) {
    int64_t want = content_length;
    if (limit > 0) want = std::min(want, limit);
    body->reserve(static_cast<size_t>(want));
  }
}

bool BodyDecoder::Write(const char* data, size_t size) {
  if (!error_.ok()) return false;
  return gzip_ ? Inflate(data, size) : Append(data, size);
}

bool BodyDecoder::Append(const char* data, size_t size) {
  std::string& body = *body_;
  if (limit_ > 0) {
    size_t room = static_cast<size_t>(limit_) - body.size();
    // Prometheus copies at most `limit` bytes and fails when it copied
    // `limit`, so reaching the limit exactly is already an error.
    if (size >= room) {
      body.append(data, room);
      limit_exceeded_ = true;
      error_ = absl::ResourceExhaustedError("body size limit exceeded");
      return false;
    }
  }
  body.append(data, size);
  return true;
}

bool BodyDecoder::Inflate(const char* data, size_t size) {
  if (inflater_ == nullptr) {
    inflater_ = pool_ != nullptr ? pool_->Acquire()
                                 : std::make_unique<Inflater>();
    if (!inflater_->Reset()) {
      error_ = absl::ResourceExhaustedError("gzip: out of memory");
      return false;
    }
  }
  z_stream& stream = inflater_->stream();
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  stream.avail_in = static_cast<uInt>(size);
  bytes_in_ += size;
  char out[16384];
  while (true) {
    if (member_done_) {
      if (stream.avail_in == 0) return true;
      // Go's gzip.Reader reads concatenated members (multistream).
      inflateReset(&stream);
      member_done_ = false;
    }
    stream.next_out = reinterpret_cast<Bytef*>(out);
    stream.avail_out = sizeof(out);
    int rc = inflate(&stream, Z_NO_FLUSH);
    size_t produced = sizeof(out) - stream.avail_out;
    if (produced > 0 && !Append(out, produced)) return false;
    if (rc == Z_STREAM_END) {
      member_done_ = true;
      continue;
    }
    if (rc == Z_BUF_ERROR) return true;  // Needs more input.
    if (rc != Z_OK) {
      absl::string_view msg = stream.msg != nullptr ? stream.msg : "";
      if (msg == "incorrect header check" ||
          msg == "unknown compression method" ||
          msg == "unknown header flags set") {
        error_ = absl::InvalidArgumentError("gzip: invalid header");
      } else if (msg == "incorrect data check" ||
                 msg == "incorrect length check") {
        error_ = absl::InvalidArgumentError("gzip: invalid checksum");
      } else {
        error_ = absl::InvalidArgumentError(
            absl::StrCat("flate: corrupt input (", msg, ")"));
      }
      return false;
    }
    if (stream.avail_in == 0 && stream.avail_out != 0) return true;
  }
}

absl::Status BodyDecoder::Finish() const {
  if (!error_.ok()) return error_;
  if (gzip_ && !member_done_) {
    // Go's gzip.Reader: no bytes at all is EOF, a cut stream is
    // unexpected EOF.
    return absl::InvalidArgumentError(bytes_in_ == 0 ? "gzip: EOF"
                                                     : "gzip: unexpected EOF");
  }
  return absl::OkStatus();
}

void BodyDecoder::ReleaseInflater() {
  if (inflater_ == nullptr) return;
  if (pool_ != nullptr) {
    pool_->Release(std::move(inflater_));
  } else {
    inflater_.reset();
  }
}

}  // namespace promscrape::http::internal
