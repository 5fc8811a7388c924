#include "plugin/textparse/parser.h"

#include <utility>

#include "plugin/textparse/nhcb_parser.h"
#include "plugin/textparse/openmetrics_parser.h"
#include "plugin/textparse/prom_parser.h"
#include "plugin/textparse/protobuf_parser.h"

namespace promscrape::textparse {

std::unique_ptr<Parser> NewParser(Format format, std::string_view body,
                                  const ParserOptions& options) {
  std::unique_ptr<Parser> parser;
  switch (format) {
    case Format::kOpenMetrics:
      parser = std::make_unique<OpenMetricsParser>(
          body, options.utf8_names, options.prometheus3_grammar,
          options.parse_start_timestamps);
      break;
    case Format::kProtobuf:
      return std::make_unique<ProtobufParser>(body, options);
    case Format::kPromText:
      parser = std::make_unique<PromParser>(body, options.utf8_names,
                                            options.prometheus3_grammar);
      break;
  }
  if (options.convert_classic_histograms_to_nhcb) {
    // textparse.New: only the text formats are wrapped.
    parser = std::make_unique<NhcbParser>(std::move(parser),
                                          options.scrape_classic_histograms,
                                          options.parse_start_timestamps);
  }
  return parser;
}

}  // namespace promscrape::textparse
