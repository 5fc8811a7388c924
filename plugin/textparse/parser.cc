#include "plugin/textparse/parser.h"

#include "plugin/textparse/openmetrics_parser.h"
#include "plugin/textparse/prom_parser.h"
#include "plugin/textparse/protobuf_parser.h"

namespace promscrape::textparse {


std::unique_ptr<Parser> NewParser(Format format, std::string_view body,
                                  const ParserOptions& options) {
  switch (format) {
    case Format::kOpenMetrics:
      return std::make_unique<OpenMetricsParser>(body, options.utf8_names,
                                                 options.prometheus3_grammar);
    case Format::kProtobuf:
      return std::make_unique<ProtobufParser>(body, options);
    case Format::kPromText:
      break;
  }
  return std::make_unique<PromParser>(body, options.utf8_names,
                                      options.prometheus3_grammar);
}

}  // namespace promscrape::textparse
