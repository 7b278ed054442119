// DestinationKind::NewProcessor's default: the record processing of
// ProcessingConfiguration and dynamic partitioning (processing/).

#include "firehose/destination.h"
#include "firehose/processing/record_processor.h"

namespace spate::firehose {

Result<std::unique_ptr<Processor>> DestinationKind::NewProcessor(const protocol::Value& cfg,
                                                                 const SinkContext& ctx) const {
  SPATE_ASSIGN_OR_RETURN(processing::ProcessingSpec spec, processing::ParseProcessingSpec(cfg));
  if (!spec.Active()) return std::unique_ptr<Processor>();
  processing::ProcessorEnv env;
  env.delivery_stream_arn = ctx.stream_arn;
  env.invoker = ctx.lambda;
  env.clock = ctx.clock;
  if (ctx.metrics != nullptr) env.metrics = ctx.metrics->processing;
  return processing::NewRecordProcessor(std::move(spec), std::move(env));
}

}  // namespace spate::firehose
