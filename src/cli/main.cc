// spate: the command-line tool for Spate (and Amazon Kinesis). Parses the
// flags with CLI11, then runs the one command chosen (commands.h).

#include <CLI/CLI.hpp>

#include <csignal>

#include "cli/commands.h"
#include "cli/context.h"

int main(int argc, char** argv) {
  using namespace spate::cli;
  // A closed pipe (`spate tail s | head`) is an ordinary end: WriteOut sees
  // EPIPE and exits quietly.
  std::signal(SIGPIPE, SIG_IGN);

  Context ctx;
  CLI::App app{"spate: streams, records and delivery streams on Spate (or Amazon Kinesis)", "spate"};
  app.fallthrough();  // global flags may follow the command
  app.require_subcommand(1);
  app.add_option("--endpoint", ctx.config.endpoint, "Service URL (else AWS_ENDPOINT_URL, else http://127.0.0.1:4567)");
  app.add_option("--region", ctx.config.region, "AWS region (else AWS_REGION, the profile's, us-east-1)");
  app.add_option("--profile", ctx.config.profile, "Profile of ~/.aws/credentials and ~/.aws/config");
  AddStreamsCommands(app, ctx);
  AddPutCommand(app, ctx);
  AddTailCommand(app, ctx);
  AddConsumersCommands(app, ctx);
  AddFirehoseCommands(app, ctx);
  AddClusterCommands(app, ctx);
  AddBenchCommand(app, ctx);
  AddCompletionCommand(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return ctx.action ? ctx.action() : kExitUsage;
}
