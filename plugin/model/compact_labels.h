#ifndef PLUGIN_MODEL_COMPACT_LABELS_H_
#define PLUGIN_MODEL_COMPACT_LABELS_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "plugin/model/labels.h"

namespace promscrape::model {

// An immutable sorted label set in one heap block: the form the scrape
// engine keeps for every series it tracks (a million of them at 10,000
// targets), where `Labels` (a vector of string pairs, 64 bytes a label plus
// heap strings) would cost several times more. Layout: a 32-bit byte count,
// then per label a varint name length, the name, a varint value length and
// the value. sizeof(CompactLabels) is one pointer; the empty set allocates
// nothing.
//
// Thread-compatible; const methods may be called concurrently.
class CompactLabels {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = LabelView;
    using difference_type = std::ptrdiff_t;
    using pointer = const LabelView*;
    using reference = LabelView;

    Iterator() = default;
    LabelView operator*() const { return Decode().first; }
    Iterator& operator++() {
      p_ = Decode().second;
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.p_ == b.p_;
    }

    // Iterates an encoded payload (see EncodeTo) starting at `p`.
    explicit Iterator(const char* p) : p_(p) {}

   private:
    std::pair<LabelView, const char*> Decode() const;
    const char* p_ = nullptr;
  };

  CompactLabels() = default;
  explicit CompactLabels(const Labels& labels);
  CompactLabels(const CompactLabels& other);
  CompactLabels& operator=(const CompactLabels& other);
  CompactLabels(CompactLabels&&) noexcept = default;
  CompactLabels& operator=(CompactLabels&&) noexcept = default;

  Iterator begin() const;
  Iterator end() const;
  bool empty() const { return data_ == nullptr; }
  // Number of labels (a walk over the buffer).
  size_t size() const;
  // Bytes of the heap block (0 when empty).
  size_t ByteSize() const;

  // The value of `name`, or "" when absent.
  absl::string_view Get(absl::string_view name) const;
  // Same value as Labels::Hash() of the same set.
  uint64_t Hash() const;
  Labels ToLabels() const;
  // Prometheus' labels.String(), as Labels::ToString().
  std::string ToString() const { return ToLabels().ToString(); }
  // The encoded labels, without the size header.
  absl::string_view payload() const;

  // The payload encoding on its own, for owners that embed it in a larger
  // block: EncodedSize bytes written by EncodeTo, iterated with Iterator.
  static size_t EncodedSize(const Labels& labels);
  static char* EncodeTo(const Labels& labels, char* out);
  // Appends one label's encoding to `out` (labels must be appended in name
  // order to form a payload).
  static void AppendEncoded(absl::string_view name, absl::string_view value,
                            std::string* out);

  friend bool operator==(const CompactLabels& a, const Labels& b);
  friend bool operator==(const CompactLabels& a, const CompactLabels& b);

 private:
  uint32_t payload_size() const;

  std::unique_ptr<char[]> data_;
};

// A series' label set as the engine hands it to sinks: the series' own
// compact labels, optionally merged with labels every series of a target
// shares (its target labels, stored once per target instead of once per
// series). Iterates the union in sorted order; the two parts never share a
// name. A view: both parts must outlive it.
//
// Thread-compatible; const methods may be called concurrently.
class SeriesLabels {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = LabelView;
    using difference_type = std::ptrdiff_t;
    using pointer = const LabelView*;
    using reference = LabelView;

    Iterator() = default;
    LabelView operator*() const { return TakeOwn() ? *own_ : *shared_; }
    Iterator& operator++() {
      if (TakeOwn()) {
        ++own_;
      } else {
        ++shared_;
      }
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.own_ == b.own_ && a.shared_ == b.shared_;
    }

   private:
    friend class SeriesLabels;
    Iterator(CompactLabels::Iterator own, CompactLabels::Iterator own_end,
             CompactLabels::Iterator shared,
             CompactLabels::Iterator shared_end)
        : own_(own), own_end_(own_end), shared_(shared),
          shared_end_(shared_end) {}
    bool TakeOwn() const {
      if (shared_ == shared_end_) return true;
      if (own_ == own_end_) return false;
      return (*own_).name < (*shared_).name;
    }
    CompactLabels::Iterator own_, own_end_, shared_, shared_end_;
  };

  // Implicit: a plain compact set is a SeriesLabels with nothing shared.
  SeriesLabels(const CompactLabels& own)  // NOLINT(runtime/explicit)
      : own_(own.payload()) {}
  SeriesLabels(const CompactLabels& own, const CompactLabels& shared)
      : own_(own.payload()), shared_(shared.payload()) {}
  // Encoded payloads (CompactLabels::EncodeTo); either may be empty.
  SeriesLabels(absl::string_view own_payload, absl::string_view shared_payload)
      : own_(own_payload), shared_(shared_payload) {}

  Iterator begin() const {
    return Iterator(Begin(own_), End(own_), Begin(shared_), End(shared_));
  }
  Iterator end() const {
    return Iterator(End(own_), End(own_), End(shared_), End(shared_));
  }
  size_t size() const;
  absl::string_view Get(absl::string_view name) const;
  Labels ToLabels() const;
  std::string ToString() const { return ToLabels().ToString(); }
  // Whether the union equals `labels` (same names and values, in order).
  bool Equals(const Labels& labels) const;

 private:
  static CompactLabels::Iterator Begin(absl::string_view p) {
    return CompactLabels::Iterator(p.data());
  }
  static CompactLabels::Iterator End(absl::string_view p) {
    return CompactLabels::Iterator(p.data() + p.size());
  }

  absl::string_view own_;
  absl::string_view shared_;
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_COMPACT_LABELS_H_
