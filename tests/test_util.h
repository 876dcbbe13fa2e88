// Helpers shared by the GoogleTest suites.
#ifndef CCX_TEST_UTIL_H
#define CCX_TEST_UTIL_H

#include <cstring>
#include <memory>
#include <string>

#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include "game/game.h"
#include "graph/graph.h"
#include "lang/task.h"
#include "util/cuda_info.h"
}

// A CUDA device answers here (never on a machine without one, nor in a build
// without CUDA); the GPU parity suites skip without one.
inline bool cuda_device_answers() {
    char buf[256];
    return ccx_cuda_device_info(buf, sizeof buf) > 0;
}
#define REQUIRE_CUDA_DEVICE(what)                                                      \
    do {                                                                               \
        if (!cuda_device_answers()) GTEST_SKIP() << "no CUDA device answers; " what " not run"; \
    } while (0)

struct GraphDeleter {
    void operator()(ccx_graph *g) const { ccx_graph_free(g); }
};
using GraphPtr = std::unique_ptr<ccx_graph, GraphDeleter>;

// Parse task text; on failure returns null and fills *err.
inline GraphPtr parse_task(const std::string &text, ccx_error *err = nullptr,
                           const char *name = "test.ccx") {
    ccx_error local;
    return GraphPtr(ccx_task_parse(text.data(), text.size(), name, err ? err : &local));
}

// Path of a paper task in the source tree.
inline std::string task_path(const std::string &name) {
    return std::string(CCX_SOURCE_DIR) + "/configs/tasks/" + name + ".ccx";
}

inline GraphPtr load_task(const std::string &name) {
    ccx_error err;
    return GraphPtr(ccx_task_load(task_path(name).c_str(), &err));
}

// A file under tests/data (e.g. "alphagrad/f.json").
inline std::string data_path(const std::string &rel) {
    return std::string(CCX_SOURCE_DIR) + "/tests/data/" + rel;
}

// Load any task or graph file by path; on failure null, message in *err.
inline GraphPtr load_graph(const std::string &path, ccx_error *err = nullptr) {
    ccx_error local;
    return GraphPtr(ccx_task_load(path.c_str(), err ? err : &local));
}

// The ten AlphaGrad graphs as AlphaGrad built them (tests/data/alphagrad).
inline GraphPtr load_alphagrad(const std::string &task) {
    return load_graph(data_path("alphagrad/" + task + ".json"));
}

// A list of graphs a test owns, with the pointers the C APIs take.
struct Graphs {
    std::vector<GraphPtr> owned;
    std::vector<const ccx_graph *> ptrs;
    void add(GraphPtr g) {
        ASSERT_TRUE(g);
        ptrs.push_back(g.get());
        owned.push_back(std::move(g));
    }
};

// A single game (the reference) on a graph, freed on scope exit.
struct Game {
    ccx_game g;
    explicit Game(const ccx_graph *graph) {
        ccx_error err;
        EXPECT_EQ(ccx_game_init(&g, graph, &err), 0) << err.msg;
    }
    ~Game() { ccx_game_free(&g); }
};

#endif
