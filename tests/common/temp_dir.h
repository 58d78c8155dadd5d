// A temporary directory removed (recursively) when the object dies.
#ifndef ILP_TESTS_COMMON_TEMP_DIR_H_
#define ILP_TESTS_COMMON_TEMP_DIR_H_

#include <string>

namespace ilp::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path()/name
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Reads a whole file; "" if missing.
std::string ReadFile(const std::string& path);

// Writes a whole file; aborts the test on failure.
void WriteFile(const std::string& path, const std::string& content);

}  // namespace ilp::testing

#endif  // ILP_TESTS_COMMON_TEMP_DIR_H_
