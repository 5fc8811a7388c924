#include "plugin/model/compact_labels.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "plugin/common/varint.h"
#include "plugin/model/hash.h"

namespace promscrape::model {
namespace {

constexpr size_t kHeader = sizeof(uint32_t);

}  // namespace

size_t CompactLabels::EncodedSize(const Labels& labels) {
  size_t n = 0;
  for (const Label& l : labels) {
    n += VarintSize(l.name.size()) + l.name.size() +
         VarintSize(l.value.size()) + l.value.size();
  }
  return n;
}

char* CompactLabels::EncodeTo(const Labels& labels, char* p) {
  for (const Label& l : labels) {
    p = PutVarint(p, l.name.size());
    if (!l.name.empty()) std::memcpy(p, l.name.data(), l.name.size());
    p += l.name.size();
    p = PutVarint(p, l.value.size());
    if (!l.value.empty()) std::memcpy(p, l.value.data(), l.value.size());
    p += l.value.size();
  }
  return p;
}

void CompactLabels::AppendEncoded(absl::string_view name,
                                  absl::string_view value, std::string* out) {
  char len[10];
  out->append(len, PutVarint(len, name.size()));
  out->append(name.data(), name.size());
  out->append(len, PutVarint(len, value.size()));
  out->append(value.data(), value.size());
}

CompactLabels::CompactLabels(const Labels& labels) {
  if (labels.empty()) return;
  const size_t payload = EncodedSize(labels);
  data_ = std::make_unique_for_overwrite<char[]>(kHeader + payload);
  const auto size32 = static_cast<uint32_t>(payload);
  std::memcpy(data_.get(), &size32, kHeader);
  EncodeTo(labels, data_.get() + kHeader);
}

absl::string_view CompactLabels::payload() const {
  if (data_ == nullptr) return {};
  return absl::string_view(data_.get() + kHeader, payload_size());
}

CompactLabels::CompactLabels(const CompactLabels& other) { *this = other; }

CompactLabels& CompactLabels::operator=(const CompactLabels& other) {
  if (this == &other) return *this;
  if (other.data_ == nullptr) {
    data_.reset();
    return *this;
  }
  const size_t n = other.ByteSize();
  data_ = std::make_unique_for_overwrite<char[]>(n);
  std::memcpy(data_.get(), other.data_.get(), n);
  return *this;
}

uint32_t CompactLabels::payload_size() const {
  if (data_ == nullptr) return 0;
  uint32_t n = 0;
  std::memcpy(&n, data_.get(), kHeader);
  return n;
}

size_t CompactLabels::ByteSize() const {
  return data_ == nullptr ? 0 : kHeader + payload_size();
}

CompactLabels::Iterator CompactLabels::begin() const {
  return Iterator(data_ == nullptr ? nullptr : data_.get() + kHeader);
}

CompactLabels::Iterator CompactLabels::end() const {
  return Iterator(data_ == nullptr ? nullptr
                                   : data_.get() + kHeader + payload_size());
}

size_t CompactLabels::size() const {
  size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

absl::string_view CompactLabels::Get(absl::string_view name) const {
  return SeriesLabels(*this).Get(name);
}

uint64_t CompactLabels::Hash() const {
  std::string buf;
  buf.reserve(payload_size());
  for (LabelView l : *this) {
    buf.append(l.name.data(), l.name.size());
    buf.push_back('\xff');
    buf.append(l.value.data(), l.value.size());
    buf.push_back('\xff');
  }
  return XxHash64(buf);
}

Labels CompactLabels::ToLabels() const {
  return SeriesLabels(*this).ToLabels();
}

bool operator==(const CompactLabels& a, const Labels& b) {
  return SeriesLabels(a).Equals(b);
}

bool operator==(const CompactLabels& a, const CompactLabels& b) {
  const size_t n = a.ByteSize();
  return n == b.ByteSize() &&
         (n == 0 || std::memcmp(a.data_.get(), b.data_.get(), n) == 0);
}

size_t SeriesLabels::size() const {
  size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

absl::string_view SeriesLabels::Get(absl::string_view name) const {
  for (LabelView l : *this) {
    if (l.name == name) return l.value;
  }
  return {};
}

Labels SeriesLabels::ToLabels() const {
  std::vector<Label> out;
  for (LabelView l : *this) {
    out.push_back(Label{std::string(l.name), std::string(l.value)});
  }
  return Labels::FromUnsorted(std::move(out));
}

bool SeriesLabels::Equals(const Labels& labels) const {
  auto it = begin();
  const auto last = end();
  for (const Label& l : labels) {
    if (it == last) return false;
    LabelView v = *it;
    if (v.name != l.name || v.value != l.value) return false;
    ++it;
  }
  return it == last;
}

}  // namespace promscrape::model
