#include "plugin/http/http1_response_parser.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "plugin/common/status.h"

namespace promscrape::http::internal {
namespace {

// A chunk-size line longer than this is not a chunk size (Go's chunked
// reader allows 4 KiB too).
constexpr size_t kMaxChunkLineBytes = 4096;

absl::Status Broken(absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("net/http: HTTP/1.x transport connection broken: ", what));
}

absl::Status MalformedChunked() {
  return absl::UnavailableError("malformed chunked encoding");
}

absl::string_view TrimSpaceTab(absl::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

bool IsTokenByte(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

}  // namespace

void Http1ResponseParser::Reset() {
  state_ = State::kHead;
  started_ = false;
  head_.clear();
  line_.clear();
  trailer_bytes_ = 0;
  status_code_ = 0;
  minor_version_ = 1;
  reason_ = content_type_ = content_encoding_ = location_ = {};
  content_length_ = -1;
  chunked_ = connection_close_ = connection_keep_alive_ = keep_alive_ = false;
  remaining_ = 0;
}

absl::StatusOr<size_t> Http1ResponseParser::Parse(absl::string_view data,
                                                  BodyCallback on_body) {
  if (!data.empty()) started_ = true;
  size_t used = 0;
  while (used < data.size()) {
    absl::string_view rest = data.substr(used);
    switch (state_) {
      case State::kHead: {
        PROMSCRAPE_ASSIGN_OR_RETURN(size_t n, ParseHead(rest));
        used += n;
        if (head_done()) return used;
        break;
      }
      case State::kFixedBody:
      case State::kChunkData: {
        size_t n = static_cast<size_t>(
            std::min<uint64_t>(remaining_, rest.size()));
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = state_ == State::kFixedBody ? State::kDone
                                               : State::kChunkDataEnd;
        }
        if (!on_body(rest.substr(0, n))) return used;
        break;
      }
      case State::kUntilClose:
        used += rest.size();
        if (!on_body(rest)) return used;
        break;
      case State::kChunkSize: {
        bool complete = false;
        PROMSCRAPE_ASSIGN_OR_RETURN(size_t n, CollectLine(rest, &complete));
        used += n;
        if (complete) PROMSCRAPE_RETURN_IF_ERROR(ParseChunkSize());
        break;
      }
      case State::kChunkDataEnd: {
        bool complete = false;
        PROMSCRAPE_ASSIGN_OR_RETURN(size_t n, CollectLine(rest, &complete));
        used += n;
        if (complete) {
          if (!line_.empty()) return MalformedChunked();
          state_ = State::kChunkSize;
        }
        break;
      }
      case State::kTrailer: {
        bool complete = false;
        PROMSCRAPE_ASSIGN_OR_RETURN(size_t n, CollectLine(rest, &complete));
        used += n;
        trailer_bytes_ += n;
        if (trailer_bytes_ > max_head_bytes_) {
          return Broken(absl::StrCat("server response trailers exceeded ",
                                     max_head_bytes_, " bytes"));
        }
        if (complete) {
          // Trailers are read and dropped, as Prometheus never looks at
          // them.
          if (line_.empty()) state_ = State::kDone;
          line_.clear();
        }
        break;
      }
      case State::kDone:
        return used;
    }
  }
  return used;
}

absl::StatusOr<size_t> Http1ResponseParser::ParseHead(absl::string_view data) {
  // The head ends at an empty line ("\r\n" or a bare "\n", as Go's
  // textproto accepts). Only the new bytes are scanned; the bytes before
  // them are in `head_`.
  auto byte_before = [&](size_t index, size_t back) -> int {
    if (back <= index) return static_cast<unsigned char>(data[index - back]);
    size_t from_head = back - index;
    if (from_head > head_.size()) return -1;
    return static_cast<unsigned char>(head_[head_.size() - from_head]);
  };
  size_t end = absl::string_view::npos;
  size_t pos = 0;
  while (pos < data.size()) {
    const void* found = std::memchr(data.data() + pos, '\n', data.size() - pos);
    if (found == nullptr) break;
    size_t index = static_cast<size_t>(static_cast<const char*>(found) -
                                       data.data());
    int prev = byte_before(index, 1);
    if (prev == '\n' || (prev == '\r' && byte_before(index, 2) == '\n')) {
      end = index + 1;
      break;
    }
    pos = index + 1;
  }
  size_t take = end == absl::string_view::npos ? data.size() : end;
  if (head_.size() + take > max_head_bytes_) {
    return absl::UnavailableError(
        absl::StrCat("net/http: server response headers exceeded ",
                     max_head_bytes_, " bytes; aborted"));
  }
  head_.append(data.data(), take);
  if (end == absl::string_view::npos) return take;
  PROMSCRAPE_RETURN_IF_ERROR(ParseHeadLines());
  if (status_code_ >= 100 && status_code_ < 200) {
    // An interim response (100 Continue, 103 Early Hints): the real one
    // follows on the same connection.
    if (status_code_ == 101) {
      return Broken("unexpected 101 Switching Protocols");
    }
    Reset();
    started_ = true;
  }
  return take;
}

absl::Status Http1ResponseParser::ParseHeadLines() {
  absl::string_view head = head_;
  bool first = true;
  while (!head.empty()) {
    size_t newline = head.find('\n');
    absl::string_view line = head.substr(0, newline);
    head.remove_prefix(newline == absl::string_view::npos ? head.size()
                                                          : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      PROMSCRAPE_RETURN_IF_ERROR(ParseStatusLine(line));
      first = false;
      continue;
    }
    if (line.empty()) break;
    PROMSCRAPE_RETURN_IF_ERROR(ParseHeader(line));
  }

  keep_alive_ = !connection_close_ &&
                (minor_version_ >= 1 || connection_keep_alive_);
  if (status_code_ == 204 || status_code_ == 304 ||
      (status_code_ >= 100 && status_code_ < 200)) {
    content_length_ = 0;
    state_ = State::kDone;
  } else if (chunked_) {
    content_length_ = -1;
    state_ = State::kChunkSize;
  } else if (content_length_ >= 0) {
    remaining_ = static_cast<uint64_t>(content_length_);
    state_ = remaining_ > 0 ? State::kFixedBody : State::kDone;
  } else {
    keep_alive_ = false;
    state_ = State::kUntilClose;
  }
  return absl::OkStatus();
}

absl::Status Http1ResponseParser::ParseStatusLine(absl::string_view line) {
  // "HTTP/1.1 404 Not Found"; the reason phrase may be missing.
  size_t space = line.find(' ');
  if (space == absl::string_view::npos) {
    return Broken(absl::StrCat("malformed HTTP response \"",
                               absl::CHexEscape(line), "\""));
  }
  absl::string_view proto = line.substr(0, space);
  absl::string_view rest = line.substr(space + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (proto.size() != 8 || !absl::StartsWith(proto, "HTTP/1.") ||
      !absl::ascii_isdigit(static_cast<unsigned char>(proto[7]))) {
    return Broken(absl::StrCat("malformed HTTP version \"",
                               absl::CHexEscape(proto), "\""));
  }
  minor_version_ = proto[7] - '0';
  size_t code_end = rest.find(' ');
  absl::string_view code = rest.substr(0, code_end);
  if (code.size() != 3 || !absl::ascii_isdigit(static_cast<unsigned char>(code[0])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(code[1])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(code[2]))) {
    return Broken(absl::StrCat("malformed HTTP status code \"",
                               absl::CHexEscape(code), "\""));
  }
  status_code_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  reason_ = code_end == absl::string_view::npos
                ? absl::string_view()
                : TrimSpaceTab(rest.substr(code_end + 1));
  return absl::OkStatus();
}

absl::Status Http1ResponseParser::ParseHeader(absl::string_view line) {
  size_t colon = line.find(':');
  absl::string_view name = line.substr(0, colon);
  bool valid = colon != absl::string_view::npos && !name.empty();
  for (char c : name) valid = valid && IsTokenByte(c);
  if (!valid) {
    return Broken(absl::StrCat("malformed MIME header line: ",
                               absl::CHexEscape(line)));
  }
  absl::string_view value = TrimSpaceTab(line.substr(colon + 1));
  // Dispatch on the length first: most headers match none of these.
  switch (name.size()) {
    case 8:
      if (absl::EqualsIgnoreCase(name, "Location") && location_.empty()) {
        location_ = value;
      }
      break;
    case 10:
      if (absl::EqualsIgnoreCase(name, "Connection")) {
        for (absl::string_view token : absl::StrSplit(value, ',')) {
          token = TrimSpaceTab(token);
          if (absl::EqualsIgnoreCase(token, "close")) connection_close_ = true;
          if (absl::EqualsIgnoreCase(token, "keep-alive")) {
            connection_keep_alive_ = true;
          }
        }
      }
      break;
    case 12:
      if (absl::EqualsIgnoreCase(name, "Content-Type") &&
          content_type_.empty()) {
        content_type_ = value;
      }
      break;
    case 14:
      if (absl::EqualsIgnoreCase(name, "Content-Length")) {
        int64_t length = -1;
        bool digits = !value.empty() && value.size() <= 18;
        for (char c : value) {
          digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
        }
        if (!digits || !absl::SimpleAtoi(value, &length)) {
          return Broken(absl::StrCat("bad Content-Length \"",
                                     absl::CHexEscape(value), "\""));
        }
        if (content_length_ >= 0 && content_length_ != length) {
          return Broken(
              "http: message cannot contain multiple Content-Length headers");
        }
        content_length_ = length;
      }
      break;
    case 16:
      if (absl::EqualsIgnoreCase(name, "Content-Encoding") &&
          content_encoding_.empty()) {
        content_encoding_ = value;
      }
      break;
    case 17:
      if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
        if (!absl::EqualsIgnoreCase(value, "chunked")) {
          return Broken(absl::StrCat("unsupported transfer encoding: \"",
                                     absl::CHexEscape(value), "\""));
        }
        chunked_ = true;
      }
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> Http1ResponseParser::CollectLine(absl::string_view data,
                                                        bool* complete) {
  size_t newline = data.find('\n');
  size_t take = newline == absl::string_view::npos ? data.size() : newline;
  if (line_.size() + take > kMaxChunkLineBytes &&
      state_ != State::kTrailer) {
    return MalformedChunked();
  }
  line_.append(data.data(), take);
  if (newline == absl::string_view::npos) {
    *complete = false;
    return take;
  }
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  *complete = true;
  return take + 1;
}

absl::Status Http1ResponseParser::ParseChunkSize() {
  absl::string_view size = line_;
  size = size.substr(0, size.find(';'));  // Chunk extensions are ignored.
  size = TrimSpaceTab(size);
  if (size.empty() || size.size() > 16) return MalformedChunked();
  uint64_t value = 0;
  for (char c : size) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return MalformedChunked();
    }
    value = value * 16 + static_cast<uint64_t>(digit);
  }
  line_.clear();
  if (value == 0) {
    state_ = State::kTrailer;
  } else {
    remaining_ = value;
    state_ = State::kChunkData;
  }
  return absl::OkStatus();
}

bool Http1ResponseParser::OnEof() {
  if (state_ == State::kUntilClose) state_ = State::kDone;
  return state_ == State::kDone;
}

}  // namespace promscrape::http::internal
