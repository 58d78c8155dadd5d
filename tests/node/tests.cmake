ilp_test(node_test node/node_test.cc LIBS ilp_node)
add_dependencies(node_test ilp-node)
ilp_test(malloc_trimmer_test node/malloc_trimmer_test.cc LIBS ilp_node)
