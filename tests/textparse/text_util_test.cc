#include "plugin/textparse/text_util.h"

#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace promscrape::textparse::internal {
namespace {

bool IsLabelByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

// The vector classifiers against the plain definitions, for every byte value
// at every lane.
TEST(TextUtilTest, SkipNameCharsStopsAtEveryNonNameByte) {
  for (int c = 0; c < 256; ++c) {
    for (size_t at = 0; at < 40; ++at) {
      std::string s(48, 'a');
      s[at] = static_cast<char>(c);
      for (bool colon : {false, true}) {
        bool name = IsLabelByte(c) || (colon && c == ':');
        const char* got = SkipNameChars(s.data(), s.data() + s.size(), colon);
        ASSERT_EQ(got - s.data(), name ? 48 : static_cast<long>(at))
            << "byte " << c << " at " << at << " colon " << colon;
      }
    }
  }
}

TEST(TextUtilTest, ClassifyLabelWindowMatchesDefinition) {
  for (int c = 0; c < 256; ++c) {
    std::string s(kWindowBytes, 'a');
    for (size_t at = 0; at < kWindowBytes; at += 7) {
      s[at] = static_cast<char>(c);
    }
    LabelWindow win = ClassifyLabelWindow(s.data());
    for (size_t i = 0; i < kWindowBytes; ++i) {
      unsigned char b = static_cast<unsigned char>(s[i]);
      bool stop = b == '"' || b == '\\' || b >= 0x80;
      ASSERT_EQ((win.label >> i) & 1, IsLabelByte(b) ? 1u : 0u)
          << "byte " << c << " at " << i;
      ASSERT_EQ((win.stop >> i) & 1, stop ? 1u : 0u)
          << "byte " << c << " at " << i;
    }
  }
}

}  // namespace
}  // namespace promscrape::textparse::internal
