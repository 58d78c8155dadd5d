#include "tests/bench/link_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ilp::bench {
namespace {

int Connect(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &a.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);  // a closed peer is an error, not SIGPIPE
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

LinkProxy::~LinkProxy() {
  stop_ = true;
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  for (int fd : fds_) close(fd);
}

void LinkProxy::CutConnections() {
  std::lock_guard<std::mutex> l(mu_);
  for (int fd : fds_) shutdown(fd, SHUT_RDWR);
}

bool LinkProxy::Start() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return false;
  }
  address_ = absl::StrCat("127.0.0.1:", ntohs(a.sin_port));
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return true;
}

void LinkProxy::AcceptLoop() {
  while (!stop_) {
    int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) return;
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int server = Connect(upstream_);
    if (server < 0) {
      close(client);
      continue;
    }
    std::lock_guard<std::mutex> l(mu_);
    fds_.push_back(client);
    fds_.push_back(server);
    threads_.emplace_back([this, client, server] { Pump(client, server, &up_, 0); });
    threads_.emplace_back([this, client, server] { Pump(server, client, &down_, 1); });
  }
}

void LinkProxy::Pump(int src, int dst, std::atomic<uint64_t>* counter, int dir) {
  const bool shaped = shape_.bits_per_second > 0 || shape_.one_way_delay > absl::ZeroDuration();
  // Shaped: a reader serializes chunks onto the link (bandwidth) and a writer
  // delivers each after the propagation delay.
  struct Chunk {
    absl::Time deliver;
    std::string bytes;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Chunk> queue;
  bool eof = false;
  std::thread writer;
  if (shaped) {
    writer = std::thread([&] {
      for (;;) {
        Chunk c;
        {
          std::unique_lock<std::mutex> l(mu);
          cv.wait(l, [&] { return eof || !queue.empty(); });
          if (queue.empty()) break;
          c = std::move(queue.front());
          queue.pop_front();
        }
        absl::SleepFor(c.deliver - absl::Now());
        if (!WriteAll(dst, c.bytes.data(), c.bytes.size())) break;
      }
      shutdown(dst, SHUT_WR);
    });
  }
  // Small reads when shaping, so a slow link trickles like a real one.
  char buf[16384];
  const size_t chunk = shaped ? 512 : sizeof(buf);
  absl::Time link_free = absl::InfinitePast();
  for (;;) {
    ssize_t n = read(src, buf, chunk);
    if (n <= 0) break;
    counter->fetch_add(static_cast<uint64_t>(n));
    if (last_dir_.exchange(dir) != dir) turns_.fetch_add(1);
    if (!shaped) {
      if (!WriteAll(dst, buf, static_cast<size_t>(n))) break;
      continue;
    }
    const absl::Time start = std::max(absl::Now(), link_free);
    link_free = start + (shape_.bits_per_second
                             ? absl::Seconds(static_cast<double>(n) * 8 / shape_.bits_per_second)
                             : absl::ZeroDuration());
    std::lock_guard<std::mutex> l(mu);
    queue.push_back({link_free + shape_.one_way_delay, std::string(buf, static_cast<size_t>(n))});
    cv.notify_one();
  }
  if (shaped) {
    {
      std::lock_guard<std::mutex> l(mu);
      eof = true;
    }
    cv.notify_one();
    writer.join();
  } else {
    shutdown(dst, SHUT_WR);
  }
}

}  // namespace ilp::bench
