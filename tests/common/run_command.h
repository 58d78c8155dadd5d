// Runs a program (no shell) and captures its exit code, stdout and stderr;
// fetches a URL path over plain HTTP/1.0. For tests that drive the binaries.
#ifndef ILP_TESTS_COMMON_RUN_COMMAND_H_
#define ILP_TESTS_COMMON_RUN_COMMAND_H_

#include <string>
#include <vector>

namespace ilp::testing {

struct CommandResult {
  int exit_code = -1;  // -1 if it did not exit normally
  std::string out, err;
};

// Runs argv[0] with the arguments and waits for it.
CommandResult RunCommand(const std::vector<std::string>& argv);

// Runs build/bin/ilpctl with `args`.
CommandResult Ilpctl(const std::vector<std::string>& args);

struct HttpResponse {
  int status = 0;  // 0 if the request failed
  std::string body;
};

// GET http://host_port/path (HTTP/1.0, so the server closes after the body).
HttpResponse HttpGet(const std::string& host_port, const std::string& path);

}  // namespace ilp::testing

#endif  // ILP_TESTS_COMMON_RUN_COMMAND_H_
