#include "plugin/http/http1_response_parser.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::http::internal {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

struct Outcome {
  absl::Status status;
  bool done = false;
  std::string body;
  size_t leftover = 0;
};

// Feeds `wire` in pieces of `step` bytes (0: all at once), then EOF when
// `eof`, as the transport does.
Outcome Feed(Http1ResponseParser& parser, absl::string_view wire, size_t step,
            bool eof) {
  Outcome out;
  parser.Reset();
  size_t offset = 0;
  while (offset < wire.size() && !parser.done()) {
    size_t n = step == 0 ? wire.size() - offset
                         : std::min(step, wire.size() - offset);
    absl::string_view piece = wire.substr(offset, n);
    while (!piece.empty() && !parser.done()) {
      absl::StatusOr<size_t> used =
          parser.Parse(piece, [&](absl::string_view body) {
            out.body.append(body.data(), body.size());
            return true;
          });
      if (!used.ok()) {
        out.status = used.status();
        return out;
      }
      piece.remove_prefix(*used);
    }
    out.leftover += piece.size();
    offset += n;
  }
  out.leftover += wire.size() - offset;
  if (eof && !parser.done() && !parser.OnEof()) {
    out.status = absl::UnavailableError("unexpected EOF");
  }
  out.done = parser.done();
  return out;
}

struct Case {
  std::string name;
  std::string wire;
  bool eof;
  int status_code;
  std::string body;
  bool keep_alive;
  size_t leftover = 0;
};

TEST(Http1ResponseParserTest, FramesBodiesInEveryReadSplit) {
  std::vector<Case> cases = {
      {"content length",
       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
       "\r\nhello",
       false, 200, "hello", true},
      {"header names are case-insensitive",
       "HTTP/1.1 200 OK\r\ncontent-LENGTH:   5  \r\n\r\nhello", false, 200,
       "hello", true},
      {"bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", false,
       200, "hi", true},
      {"chunked with extension and trailer",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n",
       false, 200, "hello world", true},
      {"chunked wins over content length",
       "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: "
       "Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
       false, 200, "ok", true},
      {"http/1.0 until close", "HTTP/1.0 200 OK\r\n\r\nall of it", true, 200,
       "all of it", false},
      {"http/1.0 keep-alive",
       "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n"
       "x",
       false, 200, "x", true},
      {"connection close",
       "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, close\r\nContent-Length: "
       "1\r\n\r\nx",
       false, 200, "x", false},
      {"no length means until close", "HTTP/1.1 200 OK\r\n\r\nrest", true, 200,
       "rest", false},
      {"204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", false, 204, "",
       true},
      {"interim responses skipped",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: "
       "3\r\n\r\nnah",
       false, 404, "nah", true},
      {"bytes past the response are left",
       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA", false, 200, "x",
       true, 5},
  };
  Http1ResponseParser parser(1 << 16);
  for (const Case& c : cases) {
    for (size_t step : {size_t{0}, size_t{1}, size_t{3}}) {
      SCOPED_TRACE(c.name + " step " + std::to_string(step));
      Outcome out = Feed(parser, c.wire, step, c.eof);
      PROMSCRAPE_EXPECT_OK(out.status);
      EXPECT_TRUE(out.done);
      EXPECT_EQ(parser.status_code(), c.status_code);
      EXPECT_EQ(out.body, c.body);
      EXPECT_EQ(parser.keep_alive(), c.keep_alive);
      EXPECT_EQ(out.leftover, c.leftover);
    }
  }
}

TEST(Http1ResponseParserTest, HeadFieldsAreKept) {
  Http1ResponseParser parser(1 << 16);
  Outcome out = Feed(parser,
                    "HTTP/1.1 301 Moved Permanently\r\nLocation: /new\r\n"
                    "Content-Type: a\r\nContent-Type: b\r\nContent-Encoding: "
                    "gzip\r\nContent-Length: 0\r\n\r\n",
                    0, false);
  PROMSCRAPE_ASSERT_OK(out.status);
  EXPECT_EQ(parser.reason(), "Moved Permanently");
  EXPECT_EQ(parser.location(), "/new");
  EXPECT_EQ(parser.content_type(), "a");  // The first, as Go's Header.Get.
  EXPECT_EQ(parser.content_encoding(), "gzip");
  EXPECT_EQ(parser.content_length(), 0);
}

TEST(Http1ResponseParserTest, MalformedInputFails) {
  struct Bad {
    std::string name;
    std::string wire;
    std::string error;
  };
  std::vector<Bad> cases = {
      {"no space", "HTTP/1.1\r\n\r\n", "malformed HTTP response"},
      {"version", "HTTP/2.0 200 OK\r\n\r\n", "malformed HTTP version"},
      {"code", "HTTP/1.1 20 OK\r\n\r\n", "malformed HTTP status code \"20\""},
      {"header", "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
       "malformed MIME header line"},
      {"folded header", "HTTP/1.1 200 OK\r\n continued\r\n\r\n",
       "malformed MIME header line"},
      {"two lengths",
       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       "multiple Content-Length"},
      {"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
       "bad Content-Length"},
      {"transfer encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
       "unsupported transfer encoding"},
      {"chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n",
       "malformed chunked encoding"},
      {"chunk too large",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "11111111111111111\r\n",
       "malformed chunked encoding"},
      {"chunk without CRLF",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n",
       "malformed chunked encoding"},
      {"switching protocols", "HTTP/1.1 101 Switching Protocols\r\n\r\n",
       "unexpected 101"},
      {"cut body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
       "unexpected EOF"},
      {"cut chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
       "unexpected EOF"},
  };
  Http1ResponseParser parser(1 << 16);
  for (const Bad& c : cases) {
    for (size_t step : {size_t{0}, size_t{1}}) {
      SCOPED_TRACE(c.name + " step " + std::to_string(step));
      Outcome out = Feed(parser, c.wire, step, /*eof=*/true);
      EXPECT_THAT(out.status, StatusIs(absl::StatusCode::kUnavailable,
                                       HasSubstr(c.error)));
    }
  }
}

TEST(Http1ResponseParserTest, HeadLargerThanTheLimitFails) {
  Http1ResponseParser parser(64);
  std::string wire = "HTTP/1.1 200 OK\r\nX: " + std::string(100, 'x') +
                     "\r\nContent-Length: 0\r\n\r\n";
  for (size_t step : {size_t{0}, size_t{1}}) {
    EXPECT_THAT(Feed(parser, wire, step, false).status,
                StatusIs(absl::StatusCode::kUnavailable,
                         "net/http: server response headers exceeded 64 "
                         "bytes; aborted"));
  }
}

TEST(Http1ResponseParserTest, BodyCallbackCanStopParsing) {
  Http1ResponseParser parser(1 << 16);
  absl::string_view wire = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef";
  absl::StatusOr<size_t> used = parser.Parse(wire, [](absl::string_view) {
    return true;
  });
  ASSERT_TRUE(used.ok());
  ASSERT_TRUE(parser.head_done());
  wire.remove_prefix(*used);
  used = parser.Parse(wire, [](absl::string_view) { return false; });
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 6u);
}

}  // namespace
}  // namespace promscrape::http::internal
