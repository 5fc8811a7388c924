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
    LabelView operator*() const {
      LabelView l;
      Decode(p_, &l);
      return l;
    }
    Iterator& operator++() {
      LabelView l;
      p_ = Decode(p_, &l);
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.p_ == b.p_;
    }

    // Iterates an encoded payload (see EncodeTo) starting at `p`.
    explicit Iterator(const char* p) : p_(p) {}

    // Decodes the label at `p` into `*label`; returns the position after
    // it. Inline: the append path walks every series' labels every scrape.
    static const char* Decode(const char* p, LabelView* label) {
      size_t n = 0;
      p = GetLength(p, &n);
      label->name = absl::string_view(p, n);
      p = GetLength(p + n, &n);
      label->value = absl::string_view(p, n);
      return p + n;
    }

   private:
    // A varint written by this class (always well formed); one byte for
    // every length under 128, which is nearly all of them.
    static const char* GetLength(const char* p, size_t* n) {
      const auto first = static_cast<unsigned char>(*p);
      if (first < 0x80) {
        *n = first;
        return p + 1;
      }
      size_t value = 0;
      int shift = 0;
      for (;;) {
        const auto byte = static_cast<unsigned char>(*p++);
        value |= static_cast<size_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) break;
        shift += 7;
      }
      *n = value;
      return p;
    }

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
  // Holds each part's current label decoded, and which one comes next, so
  // a label is decoded and its name compared once per step.
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = LabelView;
    using difference_type = std::ptrdiff_t;
    using pointer = const LabelView*;
    using reference = LabelView;

    Iterator() = default;
    LabelView operator*() const { return take_own_ ? own_.label : shared_.label; }
    Iterator& operator++() {
      if (take_own_) {
        own_.Advance();
      } else {
        shared_.Advance();
      }
      Choose();
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.own_.at == b.own_.at && a.shared_.at == b.shared_.at;
    }
    friend bool operator!=(const Iterator& a, const Iterator& b) {
      return !(a == b);
    }

   private:
    friend class SeriesLabels;
    // One part: the position of its current label, that label decoded
    // (when not at the end) and the position after it.
    struct Head {
      const char* at = nullptr;
      const char* next = nullptr;
      const char* end = nullptr;
      LabelView label;
      bool done() const { return at == end; }
      void Load() {
        if (!done()) next = CompactLabels::Iterator::Decode(at, &label);
      }
      void Advance() {
        at = next;
        Load();
      }
    };
    Iterator(absl::string_view own, absl::string_view shared, bool at_end) {
      own_.end = own.data() + own.size();
      shared_.end = shared.data() + shared.size();
      own_.at = at_end ? own_.end : own.data();
      shared_.at = at_end ? shared_.end : shared.data();
      if (at_end) return;
      own_.Load();
      shared_.Load();
      Choose();
    }
    void Choose() {
      take_own_ = shared_.done() ||
                  (!own_.done() && NameLess(own_.label.name, shared_.label.name));
    }
    // Label names mostly differ in their first byte; decide on it before
    // calling memcmp.
    static bool NameLess(absl::string_view a, absl::string_view b) {
      if (!a.empty() && !b.empty() && a.front() != b.front()) {
        return static_cast<unsigned char>(a.front()) <
               static_cast<unsigned char>(b.front());
      }
      return a < b;
    }
    Head own_, shared_;
    bool take_own_ = true;
  };

  // Implicit: a plain compact set is a SeriesLabels with nothing shared.
  SeriesLabels(const CompactLabels& own)  // NOLINT(runtime/explicit)
      : own_(own.payload()) {}
  SeriesLabels(const CompactLabels& own, const CompactLabels& shared)
      : own_(own.payload()), shared_(shared.payload()) {}
  // Encoded payloads (CompactLabels::EncodeTo); either may be empty.
  SeriesLabels(absl::string_view own_payload, absl::string_view shared_payload)
      : own_(own_payload), shared_(shared_payload) {}

  Iterator begin() const { return Iterator(own_, shared_, false); }
  Iterator end() const { return Iterator(own_, shared_, true); }

  // Calls `f(LabelView)` for each label in name order, as iterating does.
  // The walk the remote-write encoder makes for every sample: its state
  // lives in locals the compiler keeps in registers, where the iterator's
  // (returned and copied by value) costs a store and reload per label.
  template <typename F>
  void ForEach(F&& f) const {
    using Decoder = CompactLabels::Iterator;
    const char* a = own_.data();
    const char* const a_end = a + own_.size();
    const char* b = shared_.data();
    const char* const b_end = b + shared_.size();
    LabelView la, lb;
    const char* a_next = a != a_end ? Decoder::Decode(a, &la) : a_end;
    const char* b_next = b != b_end ? Decoder::Decode(b, &lb) : b_end;
    while (a != a_end && b != b_end) {
      // On equal names the shared label comes first, as in Iterator.
      if (Iterator::NameLess(la.name, lb.name)) {
        f(la);
        a = a_next;
        if (a != a_end) a_next = Decoder::Decode(a, &la);
      } else {
        f(lb);
        b = b_next;
        if (b != b_end) b_next = Decoder::Decode(b, &lb);
      }
    }
    while (a != a_end) {
      f(la);
      a = a_next;
      if (a != a_end) a_next = Decoder::Decode(a, &la);
    }
    while (b != b_end) {
      f(lb);
      b = b_next;
      if (b != b_end) b_next = Decoder::Decode(b, &lb);
    }
  }
  size_t size() const;
  absl::string_view Get(absl::string_view name) const;
  Labels ToLabels() const;
  std::string ToString() const { return ToLabels().ToString(); }
  // Whether the union equals `labels` (same names and values, in order).
  bool Equals(const Labels& labels) const;

 private:
  absl::string_view own_;
  absl::string_view shared_;
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_COMPACT_LABELS_H_
