#ifndef PLUGIN_TEXTPARSE_LABEL_SORT_H_
#define PLUGIN_TEXTPARSE_LABEL_SORT_H_

#include <algorithm>
#include <vector>

#include "plugin/textparse/parser.h"

namespace promscrape::textparse::internal {

// Sorts labels by name. Exposition label sets are small and usually already
// sorted, where insertion sort is a single pass; large ones use std::sort.
inline void SortLabels(std::vector<Label>* labels) {
  auto& v = *labels;
  if (v.size() > 24) {
    std::sort(v.begin(), v.end(),
              [](const Label& a, const Label& b) { return a.name < b.name; });
    return;
  }
  for (size_t i = 1; i < v.size(); ++i) {
    if (!(v[i].name < v[i - 1].name)) continue;
    Label x = v[i];
    size_t j = i;
    while (j > 0 && x.name < v[j - 1].name) {
      v[j] = v[j - 1];
      --j;
    }
    v[j] = x;
  }
}

}  // namespace promscrape::textparse::internal

#endif  // PLUGIN_TEXTPARSE_LABEL_SORT_H_
