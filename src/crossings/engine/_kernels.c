/* Compiled move and travel phases of the crossings engine (loaded with ctypes; no Python API).
 *
 * Agents are processed one by one in table order, as serial Flee 3.1 does: occupancy changes the moment an
 * agent moves and route weights are computed at the moment of choice. The NumPy twins of these loops are the
 * vectorised rules in rules/move.py and rules/travel.py; tests compare the two.
 * Randomness: a SplitMix64 stream per rule and day, keyed by the run's seed (see kernels_c.py).
 */
#include <math.h>
#include <stdint.h>

#define NEVER 2147483647
#define HUGE_WAIT (1 << 30)
/* At most this many links entered by one agent in one day (links of length 0 could chain forever; Flee 3.1
 * recurses until Python's stack overflows). Must equal MAX_CHAIN in rules/travel.py. */
#define MAX_LINKS_PER_DAY 1000

typedef struct {
    /* agent columns */
    int32_t *loc, *link;
    float *progress;
    int32_t *route;
    int8_t *hop;
    int32_t *wake;
    int8_t *hops_done;
    float *recent;
    double *moved_today;
    /* stocks and today's flows */
    int64_t *present, *on_link, *departures, *arrivals, *link_entries, *link_exits;
    /* places, links and candidate paths */
    const double *movechance;
    const uint8_t *is_camp, *is_town;
    const double *capacity;  /* camp capacity x capacity_scaling (Flee 3.2); below 1: unlimited */
    const double *score;
    const uint8_t *link_open, *path_open;
    const int64_t *path_start;
    const int32_t *path_links, *path_end;
    const double *path_base;
    const int64_t *by_origin;
    const int32_t *link_src, *link_dst;
    const double *link_dist, *link_speed, *link_walk;
    /* parameters */
    double buffer, weight_softening, weight_power, walk_speed, max_speed;
    int32_t continue_routes, any_walk, start_on_foot, avoid_short_stints;
} Ctx;

static inline double next_uniform(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

double crossings_uniform(uint64_t *state) { return next_uniform(state); }

static inline double capmult(const Ctx *c, int32_t e) {
    double cap = c->capacity[e];
    if (cap < 1.0) return 1.0;
    double n = (double)c->present[e];
    if (n <= c->buffer * cap) return 1.0;
    if (n >= cap) return 0.0;
    return 1.0 - (n - c->buffer * cap) / (cap * (1.0 - c->buffer));
}

double crossings_capmult(const Ctx *c, int32_t e) { return capmult(c, e); }

/* days until the first success of daily Bernoulli(p) draws, at least 1 */
static inline int64_t wait_days(uint64_t *state, double p) {
    if (p >= 1.0) return 1;
    if (p <= 0.0) return HUGE_WAIT;
    double u = 1.0 - next_uniform(state); /* (0, 1] */
    double w = 1.0 + floor(log(u) / log1p(-p));
    if (w > (double)HUGE_WAIT) return HUGE_WAIT;
    return (int64_t)w;
}

int64_t crossings_wait(uint64_t *state, double p) { return wait_days(state, p); }

static inline void schedule(const Ctx *c, int64_t i, int32_t day, uint64_t *state) {
    if (c->continue_routes && c->route[i] >= 0) {
        c->wake[i] = day + 1;
        return;
    }
    int64_t w = (int64_t)day + wait_days(state, c->movechance[c->loc[i]]);
    c->wake[i] = w < NEVER ? (int32_t)w : NEVER;
}

static inline double path_weight(const Ctx *c, int64_t p) {
    int32_t e = c->path_end[p];
    double w = (c->weight_softening + c->score[e]) * c->path_base[p] * capmult(c, e);
    if (c->weight_power != 1.0) w = pow(w, c->weight_power);
    return w;
}

/* Plan a route if the agent has none, then take its next link unless that link is closed or the route ends at
 * a camp whose capacity multiplier is below 0.5 (the route is dropped). Returns 1 if the agent is now on a link. */
static int plan_and_step(const Ctx *c, int64_t i, uint64_t *state) {
    int32_t x = c->loc[i];
    if (c->route[i] < 0) {
        int64_t lo = c->by_origin[x], hi = c->by_origin[x + 1];
        if (hi == lo) return 0;
        double total = 0.0;
        int64_t n_open = 0;
        for (int64_t p = lo; p < hi; p++) {
            if (c->path_open[p]) {
                n_open++;
                total += path_weight(c, p);
            }
        }
        if (n_open == 0) return 0;
        double u = next_uniform(state);
        int64_t chosen = -1;
        if (total > 0.0) {
            double target = u * total, acc = 0.0;
            for (int64_t p = lo; p < hi; p++) {
                if (!c->path_open[p]) continue;
                double w = path_weight(c, p);
                if (w > 0.0) {
                    acc += w;
                    chosen = p;
                    if (acc > target) break;
                }
            }
        } else {
            int64_t k = (int64_t)(u * (double)n_open);
            for (int64_t p = lo; p < hi; p++) {
                if (!c->path_open[p]) continue;
                if (k == 0) { chosen = p; break; }
                k--;
            }
        }
        c->route[i] = (int32_t)chosen;
        c->hop[i] = 0;
    }
    int32_t r = c->route[i];
    int32_t lk = c->path_links[c->path_start[r] + c->hop[i]];
    int32_t e = c->path_end[r];
    if (!c->link_open[lk] || (c->is_camp[e] && capmult(c, e) < 0.5)) {
        c->route[i] = -1;
        return 0;
    }
    int64_t h = (int64_t)c->hop[i] + 1;
    if (h >= c->path_start[r + 1] - c->path_start[r]) {
        c->route[i] = -1;
        c->hop[i] = 0;
    } else {
        c->hop[i] = (int8_t)h;
    }
    c->link[i] = lk;
    c->progress[i] = 0.0f;
    c->wake[i] = NEVER;
    c->present[x] -= 1;
    c->departures[x] += 1;
    c->on_link[lk] += 1;
    c->link_entries[lk] += 1;
    return 1;
}

/* Every agent whose wake-up day is today tries to plan and take its next step. */
void crossings_move_phase(const Ctx *c, int64_t n, int32_t day, uint64_t *state) {
    for (int64_t i = 0; i < n; i++) {
        if (c->wake[i] != day) continue;
        if (!plan_and_step(c, i, state)) schedule(c, i, day, state);
    }
}

/* Every agent on a link advances; on arrival it may move on the same day (Flee's finish_travel). */
void crossings_travel_phase(const Ctx *c, int64_t n, int32_t day, uint64_t *state) {
    for (int64_t i = 0; i < n; i++) {
        if (c->link[i] < 0) continue;
        double moved = 0.0;
        for (int steps = 0; steps < MAX_LINKS_PER_DAY; steps++) {
            int32_t lk = c->link[i];
            double v = c->link_speed[lk];
            if (c->start_on_foot && c->hops_done[i] == 0) v = c->walk_speed;
            if (c->any_walk && next_uniform(state) < c->link_walk[lk]) v = c->walk_speed;
            double prog = (double)c->progress[i] + v;
            moved += v;
            if (!(prog > c->link_dist[lk])) {
                c->progress[i] = (float)prog;
                break;
            }
            moved -= prog - c->link_dist[lk];
            c->on_link[lk] -= 1;
            c->link_exits[lk] += 1;
            if (c->hops_done[i] < 127) c->hops_done[i] += 1;
            c->link[i] = -1;
            c->progress[i] = 0.0f;
            if (!c->link_open[lk]) { /* the link closed while the agent was on it: back to its start */
                int32_t back = c->link_src[lk];
                c->loc[i] = back;
                c->present[back] += 1;
                c->arrivals[back] += 1;
                c->route[i] = -1;
                schedule(c, i, day, state);
                break;
            }
            int32_t dest = c->link_dst[lk];
            c->loc[i] = dest;
            c->present[dest] += 1;
            c->arrivals[dest] += 1;
            if (moved >= v) {
                schedule(c, i, day, state);
                break;
            }
            double p = c->movechance[dest];
            if (c->continue_routes && c->route[i] >= 0) p = 1.0;
            if (c->avoid_short_stints && c->is_town[dest] && (c->recent[i] + moved / c->max_speed) / 2.0 < 0.5) p = 1.0;
            if (!(next_uniform(state) < p)) {
                schedule(c, i, day, state);
                break;
            }
            if (!plan_and_step(c, i, state)) {
                schedule(c, i, day, state);
                break;
            }
        }
        if (c->avoid_short_stints) c->moved_today[i] = moved;
    }
    if (c->avoid_short_stints) {
        for (int64_t i = 0; i < n; i++) {
            c->recent[i] = (float)((c->recent[i] + c->moved_today[i] / c->max_speed) / 2.0);
            c->moved_today[i] = 0.0;
        }
    }
}
