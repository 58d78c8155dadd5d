// Runs a real ilp-node binary as a child process for tests: writes its
// config, starts it, waits for its ready file, and kills or stops it by PID.
#ifndef ILP_TESTS_COMMON_NODE_PROCESS_H_
#define ILP_TESTS_COMMON_NODE_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace ilp::testing {

class NodeProcess {
 public:
  // `config_text` is a NodeConfig textproto without ready_file; the node
  // listens where it says (use port 0). Unless it has a tls block or says
  // insecure, the node gets a certificate from TestPki::Default().
  NodeProcess(std::string dir, std::string config_text);
  ~NodeProcess();  // SIGKILLs the child if still running

  // Runs the node under `argv_prefix` (e.g. {"faketime", "-f", "+365d"}).
  void set_wrapper(std::vector<std::string> argv_prefix) { wrapper_ = std::move(argv_prefix); }

  // Starts the node and waits up to 30 s for it to serve. Returns false on failure.
  bool Start();
  // Sends SIGKILL and reaps the child.
  void Kill();
  // Sends SIGTERM and waits; returns the exit status (or -1).
  int Stop();

  const std::string& address() const { return address_; }
  // HOST:PORT of /metrics when the config sets metrics_listen, else "".
  const std::string& metrics_address() const { return metrics_address_; }
  pid_t pid() const { return pid_; }

 private:
  std::string dir_, config_text_, address_, metrics_address_;
  std::vector<std::string> wrapper_;
  pid_t pid_ = -1;
};

}  // namespace ilp::testing

#endif  // ILP_TESTS_COMMON_NODE_PROCESS_H_
