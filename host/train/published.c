/* AlphaGrad's published figures for the four paper tasks (arXiv 2406.05027):
 * the best PPO result and the best order AlphaGrad ever found
 * (../shared/reference/alphagrad_orders.json). */
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
