/* AlphaGrad's published figures for the ten paper tasks (arXiv 2406.05027):
 * the best PPO result and the best result AlphaGrad logged over all its
 * runs (tests/data/alphagrad/TASKS.md, from the eval CSVs; the scalar four's
 * best orders are in tests/data/alphagrad/alphagrad_orders.json). RoeFlux_3d's
 * 784 may come from an older build of that graph; the best verified order
 * costs 799. */
#include <string.h>

#include "train/run.h"

static const struct {
    const char *task;
    long ppo, best;
} PUBLISHED[] = {
    {"RoeFlux_1d", 326, 320},
    {"RobotArm_6DOF", 247, 231},
    {"HumanHeartDipole", 161, 148},
    {"PropaneCombustion", 92, 88},
    {"RoeFlux_3d", 877, 784},
    {"BlackScholes_Jacobian", 308, 307},
    {"Encoder", 5741, 4656},
    {"Perceptron", 422, 389},
    {"f", 6313, 5884},
    {"g", 422, 416},
};

ccx_published ccx_published_for(const char *task_name) {
    ccx_published p = {-1, -1};
    if (!task_name) return p;
    for (size_t i = 0; i < sizeof PUBLISHED / sizeof PUBLISHED[0]; i++)
        if (strcmp(task_name, PUBLISHED[i].task) == 0) {
            p.ppo = PUBLISHED[i].ppo;
            p.best = PUBLISHED[i].best;
        }
    return p;
}
