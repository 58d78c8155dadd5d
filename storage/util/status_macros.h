// Small status helpers; Abseil 20220623 ships no RETURN_IF_ERROR.
#ifndef ILP_STORAGE_UTIL_STATUS_MACROS_H_
#define ILP_STORAGE_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ILP_CONCAT_INNER_(a, b) a##b
#define ILP_CONCAT_(a, b) ILP_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` yields a non-OK absl::Status.
#define ILP_RETURN_IF_ERROR(expr)                     \
  do {                                                \
    ::absl::Status ilp_status_ = (expr);              \
    if (!ilp_status_.ok()) return ilp_status_;        \
  } while (0)

// `lhs = value of expr`, or returns its error status. `lhs` may declare a variable.
#define ILP_ASSIGN_OR_RETURN(lhs, expr) \
  ILP_ASSIGN_OR_RETURN_IMPL_(ILP_CONCAT_(ilp_statusor_, __LINE__), lhs, expr)
#define ILP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#endif  // ILP_STORAGE_UTIL_STATUS_MACROS_H_
