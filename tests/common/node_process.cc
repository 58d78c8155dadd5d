#include "tests/common/node_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/common/temp_dir.h"
#include "tests/common/test_pki.h"

#ifndef ILP_BIN_DIR
#error "ILP_BIN_DIR must point at build/bin"
#endif

namespace ilp::testing {

NodeProcess::NodeProcess(std::string dir, std::string config_text)
    : dir_(std::move(dir)), config_text_(std::move(config_text)) {}

NodeProcess::~NodeProcess() {
  Kill();
  // A failed test shows the tail of each node's log, so a failure seen only
  // in CI can be read from CI's output (logs hold no patient data).
  if (::testing::Test::HasFailure()) {
    const std::string log = ReadFile(dir_ + "/node.log");
    constexpr size_t kTail = 6000;
    std::fprintf(stderr, "----- tail of %s/node.log -----\n%s\n-----\n", dir_.c_str(),
                 log.size() > kTail ? log.substr(log.size() - kTail).c_str() : log.c_str());
  }
}

bool NodeProcess::Start() {
  const std::string ready = dir_ + "/ready";
  const std::string cfg = dir_ + "/node.textproto";
  unlink(ready.c_str());
  WriteFile(cfg, absl::StrCat(WithTestTls(config_text_), "\nready_file: \"", ready, "\"\n"));
  // ILP_BIN_DIR in the environment runs other binaries than the build's, so
  // a long run (tests/chaos/run.sh) survives a rebuild meanwhile.
  const char* bin_dir = std::getenv("ILP_BIN_DIR");
  const std::string bin = std::string(bin_dir && *bin_dir ? bin_dir : ILP_BIN_DIR) + "/ilp-node";
  const std::string log = dir_ + "/node.log";
  pid_ = fork();
  if (pid_ == 0) {
    FILE* f = freopen(log.c_str(), "a", stderr);
    (void)f;
    std::vector<std::string> args = wrapper_;
    for (const std::string& a : {bin, std::string("--config"), cfg}) args.push_back(a);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  if (pid_ < 0) return false;
  // Wait for the node to publish its address; the ready file is written by
  // rename, so it is complete once it exists.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string addr = ReadFile(ready);
    if (!addr.empty()) {
      std::vector<std::string> lines = absl::StrSplit(addr, '\n', absl::SkipWhitespace());
      address_ = std::string(absl::StripAsciiWhitespace(lines[0]));
      metrics_address_ = lines.size() > 1 ? std::string(absl::StripAsciiWhitespace(lines[1])) : "";
      return true;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void NodeProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int NodeProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace ilp::testing
