#include "firehose/endpoint_settings.h"

#include <utility>

namespace spate::firehose {
namespace {

EndpointSettings& Settings() {
  static EndpointSettings settings;
  return settings;
}

}  // namespace

void SetEndpointSettings(EndpointSettings settings) { Settings() = std::move(settings); }

const EndpointSettings& GetEndpointSettings() { return Settings(); }

}  // namespace spate::firehose
