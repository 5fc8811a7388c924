#include "plugin/relabel/expand.h"

namespace promscrape::relabel {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

// Parses the reference after a `$`. On success sets `name`, `num` (-1 for a
// named reference) and the number of bytes consumed.
bool Extract(absl::string_view s, absl::string_view* name, int* num,
             size_t* consumed) {
  if (s.empty()) return false;
  bool brace = s[0] == '{';
  size_t start = brace ? 1 : 0;
  size_t i = start;
  while (i < s.size() && IsNameChar(s[i])) ++i;
  if (i == start) return false;
  *name = s.substr(start, i - start);
  if (brace) {
    if (i >= s.size() || s[i] != '}') return false;
    ++i;
  }
  *consumed = i;
  int n = 0;
  for (char c : *name) {
    if (c < '0' || c > '9' || n >= 100000000) {
      n = -1;
      break;
    }
    n = n * 10 + (c - '0');
  }
  if ((*name)[0] == '0' && name->size() > 1) n = -1;
  *num = n;
  return true;
}

void AppendGroup(absl::Span<const re2::StringPiece> groups, int i,
                 std::string* out) {
  if (i >= 0 && static_cast<size_t>(i) < groups.size() &&
      groups[i].data() != nullptr) {
    out->append(groups[i].data(), groups[i].size());
  }
}

}  // namespace

void ExpandTemplate(absl::string_view tmpl, const re2::RE2& regex,
                    absl::Span<const re2::StringPiece> groups,
                    std::string* out) {
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    if (dollar == absl::string_view::npos) break;
    out->append(tmpl.data(), dollar);
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out->push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    absl::string_view name;
    int num;
    size_t consumed;
    if (!Extract(tmpl, &name, &num, &consumed)) {
      out->push_back('$');
      continue;
    }
    tmpl.remove_prefix(consumed);
    if (num >= 0) {
      AppendGroup(groups, num, out);
    } else {
      const auto& names = regex.NamedCapturingGroups();
      auto it = names.find(std::string(name));
      if (it != names.end()) AppendGroup(groups, it->second, out);
    }
  }
  out->append(tmpl.data(), tmpl.size());
}

}  // namespace promscrape::relabel
