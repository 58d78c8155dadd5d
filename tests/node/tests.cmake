ilp_test(node_test node/node_test.cc LIBS ilp_node)
add_dependencies(node_test ilp-node)
