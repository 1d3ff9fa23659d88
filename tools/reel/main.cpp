// SPDX-License-Identifier: Apache-2.0
// `reel`: runs Atlas Stream Processing pipeline files. See `reel --help` and the README's
// "The reel program" section.
#include <cstdio>
#include <string>
#include <vector>

#include <reel/version.hpp>

#include "command_line.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace reel::cli;
  const std::vector<std::string> args(argv + 1, argv + argc);
  command_line cl;
  usage_error error;
  if (!parse_command_line(args, cl, error)) {
    std::fprintf(stderr, "reel: %s\nRun 'reel --help' for usage.\n", error.message.c_str());
    return 2;
  }
  switch (cl.cmd) {
    case command::help:
      std::fwrite(usage_text().data(), 1, usage_text().size(), stdout);
      return 0;
    case command::version:
      std::printf("reel %s\n", reel::version_string);
      return 0;
    case command::run:
      return run_command(cl);
    case command::process:
      return process_command(cl);
    case command::check:
      return check_command(cl);
    case command::explain:
      return explain_command(cl);
    case command::serve:
      return serve_command(cl);
    case command::sp:
      return sp_command(cl);
    case command::none:
      break;
  }
  std::fprintf(stderr, "reel: no command given\nRun 'reel --help' for usage.\n");
  return 2;
}
