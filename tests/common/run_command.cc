#include "tests/common/run_command.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/common/temp_dir.h"

#ifndef ILP_BIN_DIR
#error "ILP_BIN_DIR must point at build/bin"
#endif

extern char** environ;

namespace ilp::testing {

CommandResult RunCommand(const std::vector<std::string>& argv) {
  TempDir dir;
  const std::string out = dir.Sub("out"), err = dir.Sub("err");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  CommandResult r;
  pid_t pid;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  }
  posix_spawn_file_actions_destroy(&fa);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

CommandResult Ilpctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {std::string(ILP_BIN_DIR) + "/ilpctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

HttpResponse HttpGet(const std::string& host_port, const std::string& path) {
  HttpResponse r;
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) return r;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) != 1) return r;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return r;
  std::string raw;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string req = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", host_port, "\r\n\r\n");
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) raw.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  // "HTTP/1.1 200 OK\r\n...headers...\r\n\r\nbody"
  const size_t sp = raw.find(' '), end = raw.find("\r\n\r\n");
  if (sp == std::string::npos || end == std::string::npos) return r;
  (void)absl::SimpleAtoi(raw.substr(sp + 1, 3), &r.status);
  r.body = raw.substr(end + 4);
  return r;
}

std::vector<std::string> FakeTimeEnv(const std::string& spec) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::string asan_options = asan != nullptr && *asan != '\0' ? std::string(asan) + ":" : std::string();
  asan_options += "allocator_release_to_os_interval_ms=-1";
  return {"/usr/bin/env",
          "LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
          "FAKETIME=" + spec,
          "FAKETIME_DONT_FAKE_MONOTONIC=1",
          "FAKETIME_NO_CACHE=1",
          "ASAN_OPTIONS=" + asan_options};
}

}  // namespace ilp::testing
