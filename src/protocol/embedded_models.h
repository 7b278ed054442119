#pragma once

// The AWS service model files (models/*.json), embedded in the binary at
// build time: defined in the generated embedded_service_models.cc
// (models/embed_models.cmake). ServiceModel loads them; tests and fuzz
// targets read them to enumerate every shape.

namespace spate::protocol::embedded {

extern const char kKinesisJson[];
extern const unsigned long kKinesisJsonSize;
extern const char kFirehoseJson[];
extern const unsigned long kFirehoseJsonSize;
extern const char kKinesisAnalyticsJson[];
extern const unsigned long kKinesisAnalyticsJsonSize;
extern const char kSpateLeasesJson[];
extern const unsigned long kSpateLeasesJsonSize;
extern const char kSpateProducersJson[];
extern const unsigned long kSpateProducersJsonSize;
extern const char kSpateClusterJson[];
extern const unsigned long kSpateClusterJsonSize;

}  // namespace spate::protocol::embedded
