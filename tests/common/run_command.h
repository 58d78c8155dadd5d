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

// An argv prefix that runs a program under libfaketime (Debian's faketime)
// with FAKETIME=`spec` ("+365d", "-3d", "@2019-01-01 00:00:00"), preloaded by
// `env` so the program keeps its PID; monotonic time stays real so gRPC
// timers work. Under ASan the allocator's release-to-OS timer is turned off:
// it reads the clock inside the allocator's lock, and libfaketime's first
// clock call allocates, which waited on that lock for good (gdb, ilpctl
// under faketime, 2026-12-08).
std::vector<std::string> FakeTimeEnv(const std::string& spec);

struct HttpResponse {
  int status = 0;  // 0 if the request failed
  std::string body;
};

// GET http://host_port/path (HTTP/1.0, so the server closes after the body).
HttpResponse HttpGet(const std::string& host_port, const std::string& path);

}  // namespace ilp::testing

#endif  // ILP_TESTS_COMMON_RUN_COMMAND_H_
