#pragma once

// Each group of `spate` subcommands registers itself on the CLI11 app; its
// callbacks set Context::action, which main() runs after parsing.

namespace CLI {
class App;
}  // namespace CLI

namespace spate::cli {

class Context;

void AddStreamsCommands(CLI::App& app, Context& ctx);
void AddPutCommand(CLI::App& app, Context& ctx);
void AddTailCommand(CLI::App& app, Context& ctx);
void AddFirehoseCommands(CLI::App& app, Context& ctx);
// `spate consumers list|register|describe|deregister`: enhanced fan-out consumers.
void AddConsumersCommands(CLI::App& app, Context& ctx);
// `spate cluster status|drain|undrain`: cluster operation (SpateCluster_20261207).
void AddClusterCommands(CLI::App& app, Context& ctx);
// `spate bench NAME`: PutRecords from several threads (one shared client).
void AddBenchCommand(CLI::App& app, Context& ctx);
// `spate completion bash`: a completion script generated from `app` itself,
// so it names every command and flag registered before it.
void AddCompletionCommand(CLI::App& app, Context& ctx);

}  // namespace spate::cli
