#ifndef PLUGIN_MODEL_EXEMPLAR_H_
#define PLUGIN_MODEL_EXEMPLAR_H_

#include <cstdint>
#include <vector>

#include "plugin/model/labels.h"

namespace promscrape::model {

// An exemplar attached to one sample: a few labels (typically a trace id), a
// value and an optional timestamp. The labels are views, sorted by name; they
// point into whatever the producer owns (a parser's body or scratch memory)
// and live only as long as the producer says. Not thread-safe; a value type.
struct Exemplar {
  std::vector<LabelView> labels;
  double value = 0;
  bool has_timestamp = false;
  int64_t timestamp_ms = 0;
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_EXEMPLAR_H_
