"""Entry policy and stays abroad: the policy timeline (policies.csv), and what an agent does when its stay runs
out: a visa run, a residence permit, moving on, or going home. The check at the moment of entry and the
bookkeeping of each stay (entry day, days used in the window, the day it runs out) are in ``entry.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.entry import id_trait, on_entry, on_exit, window_used
from crossings.engine.models.emigration.movement import GO_HOME_WRITES, first_arrivals, go_home
from crossings.engine.models.emigration.state import (
    NEVER,
    NO_PERMIT,
    PENDING_NO,
    PENDING_YES,
    PERMIT,
    PERMIT_REFUSED,
    PLAN,
    SETTLED,
)
from crossings.engine.rng import stream
from crossings.engine.rule import Rule
from crossings.scenario.emigration import in_force

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

# ---- the policy timeline ---------------------------------------------------------------------------------

class EntryPolicies(Rule):
    """On each day a policy of policies.csv starts or ends, every country's entry rules are set from the
    policies in force: per country and policy kind the one that started last (then the later line) applies.
    A tourist ban starting or ending, or a visa's share of holders changing, changes which routes are offered."""

    name = "entry_policies"
    reads = ()
    writes = ("world.per_entry", "world.window_max", "world.window_len", "world.banned", "world.visa_p",
              "world.visa_cost", "world.visa_days", "world.visa_holders", "world.permit_p", "world.permit_wait",
              "world.permit_cost", "world.permit_w", "world.permit_elig", "world.visa_run_w", "world.permit_days",
              "world.registration_days", "world.routes_dirty")

    def init(self, sim: Simulation) -> None:
        self.policies = sim.scenario.emigration.policies
        self.days = {p.start for p in self.policies} | {p.end for p in self.policies if p.end >= 0}

    def step(self, sim: Simulation, day: int) -> None:
        if day not in self.days:
            return
        w = sim.world
        banned, holders = w.banned.copy(), w.visa_holders.copy()
        for arr, value in ((w.per_entry, -1), (w.window_max, -1), (w.window_len, -1), (w.visa_p, np.nan),
                           (w.visa_cost, 0.0), (w.visa_days, -1), (w.visa_holders, 1.0), (w.permit_p, np.nan),
                           (w.permit_wait, 0), (w.permit_cost, 0.0), (w.permit_w, 1.0), (w.permit_elig, 1.0),
                           (w.visa_run_w, 1.0), (w.permit_days, -1), (w.registration_days, -1)):
            arr[:] = value
        w.banned[:] = False
        active = sorted((p for p in self.policies if in_force(p, day)),
                        key=lambda p: (p.start, p.line))
        for p in active:  # later ones overwrite earlier ones of the same kind and country
            c = p.country
            if p.kind == "visa_free":
                w.per_entry[c], w.visa_run_w[c] = p.days, p.weight
            elif p.kind == "stay_limit":
                w.window_max[c], w.window_len[c] = p.days, p.window_days
            elif p.kind == "tourist_ban":
                w.banned[c] = True
            elif p.kind == "visa":
                w.visa_p[c], w.visa_cost[c], w.visa_days[c] = p.probability, p.cost, p.days
                w.visa_holders[c] = p.holders
            elif p.kind == "residence_permit":
                w.permit_p[c], w.permit_wait[c], w.permit_cost[c] = p.probability, p.waiting_days, p.cost
                w.permit_days[c], w.permit_w[c], w.permit_elig[c] = p.days, p.weight, p.eligible
            else:  # registration
                w.registration_days[c] = p.days
        if not (np.array_equal(banned, w.banned) and np.array_equal(holders, w.visa_holders)):
            w.routes_dirty = True  # the routes offered change (the visa holders: route_choice.HolderLevels)


# ---- when the stay runs out ------------------------------------------------------------------------------

VISA_RUN, APPLY, MOVE_ON, GO_HOME = range(4)
GOLDEN = (5**0.5 - 1) / 2  # the step of the eligibility trait's Weyl sequence


class StayLimits(Rule):
    """Pending residence permits are decided on their day (granted: the holder may stay for the permit's days;
    refused: its stay ends). Then each settled agent whose stay has run out (today ≥ allowed_until) picks one
    of four options with probability ∝ the settings' weights over the options open to it:

    * visa run — open if the place has a border link out of the country, re-entry would be allowed (no tourist
      ban or visa requirement, days left in the window) and the agent can pay the fares there and back plus
      ``visa_run_cost_usd``. It exits and re-enters the same day: one exit and one entry of the country, one
      entry and one exit of the neighbour, both counted on their links; a new stay starts. Its weight is
      ``visa_run_weight`` × the ``weight`` of the country's visa_free policy (how tolerated visa runs are there).
    * residence permit — open if the country grants permits, the agent was not refused one in this stay and
      can pay the fee. It pays, applies, and may stay until the decision ``waiting_days`` later. Its weight is
      ``permit_weight`` × the country's policy ``weight`` (how open the permit route is there). With the
      policy's ``eligible`` share s < 1 it is open only to agents whose fixed trait (``trait``) is below s: the
      same people can apply each time, the rest never can (a job, a company or property is needed).
    * move on — open if some route leaves the place; it re-plans on routes avoiding this country.
    * go home — always open (the fallback when no other is).
    """

    name = "stay_limits"
    reads = ("agents.state", "agents.allowed_until", "agents.permit", "agents.permit_day", "agents.savings",
             "world.per_entry", "world.window_max", "world.permit_p", "world.permit_w", "world.permit_elig",
             "world.visa_run_w", "world.visa_run_link")
    # visa runs, permits and moving on; and going home
    writes = ("agents.permit_day", "agents.savings", "agents.entry_day", "agents.window_start", "eflows.overstays",
              "eflows.visa_runs", "eflows.applications", "eflows.granted", "eflows.permits_refused", "eflows.border",
              *GO_HOME_WRITES)

    def init(self, sim: Simulation) -> None:
        spec = sim.scenario.emigration
        s = spec.settings
        self.weights = np.array([s.visa_run_weight, s.permit_weight, s.move_on_weight, s.go_home_weight])
        self.on = bool(spec.policies)
        self.permits = any(p.kind == "residence_permit" for p in spec.policies)
        self.salt = float(stream(sim.seed, "permit_eligibility").random())
        self._key: tuple[bytes, ...] | None = None  # what self._places was worked out for
        self._places: tuple[np.ndarray, ...] = ()

    def trait(self, ids: np.ndarray) -> np.ndarray:
        """Each agent's fixed eligibility trait (``entry.id_trait`` with the golden step, its offset drawn from a
        stream no other rule uses)."""
        return id_trait(self.salt, ids, GOLDEN)

    def step(self, sim: Simulation, day: int) -> None:
        if not self.on:
            return
        if sim.kernel == "compiled":  # the same in C, the draws taken here in the same order
            kernels_c.stays(sim, day, self)
            return
        a = sim.agents
        if self.permits:
            self.decide(sim, day, np.flatnonzero(a.permit_day == day))
        over = np.flatnonzero(a.allowed_until <= day)
        over = over[a.state[over] == SETTLED]
        if over.size:
            self.choose(sim, over, day)

    def decide(self, sim: Simulation, day: int, due: np.ndarray) -> None:
        """Pending permits among agents ``due`` (those whose decision day is today: an application is decided
        on the day its waiting time is over, so no other can be pending) are granted or refused as drawn at
        application."""
        a, w, f = sim.agents, sim.world, sim.eflows
        due = due[(a.permit[due] >= PENDING_YES) & (a.permit[due] <= PENDING_NO)]
        if due.size == 0:
            return
        c = a.stay_country[due].astype(np.int64)
        yes = a.permit[due] == PENDING_YES
        n_c = len(w.permits)
        g = due[yes]
        a.permit[g] = PERMIT
        days = w.permit_days[c[yes]]
        a.allowed_until[g] = np.where(days >= 0, np.minimum(day + days, NEVER), NEVER)
        n = np.bincount(c[yes], minlength=n_c)
        w.permits += n
        f.granted += n
        r = due[~yes]
        a.permit[r] = PERMIT_REFUSED
        a.allowed_until[r] = day
        f.permits_refused += np.bincount(c[~yes], minlength=n_c)

    def places(self, sim: Simulation) -> tuple[np.ndarray, ...]:
        """Per place, for an agent whose stay there runs out: whether a visa run is open from there (a border
        link out, re-entry allowed, the neighbour not closed to it), its cost (fares there and back and
        ``visa_run_cost_usd``), and whether a route leaves it. Worked out again only when the entry rules or the
        fares change."""
        w = sim.world
        key = (w.banned.tobytes(), w.visa_p.tobytes(), w.link_cost.tobytes())
        if key != self._key:
            k = w.visa_run_link
            kk = np.maximum(k, 0)
            here, nb = w.country, w.country[sim.scenario.links.dst[kk]]
            ok = (k >= 0) & ~w.banned[here] & np.isnan(w.visa_p[here]) & ~(w.banned[nb] & w.abroad[nb])
            cost = w.link_cost[kk] + w.link_cost[kk ^ 1] + sim.scenario.emigration.settings.visa_run_cost_usd
            bo = w.routes.paths.by_origin
            self._places = (ok, cost, bo[1:] > bo[:-1])
            self._key = key
        return self._places

    def pick(self, sim: Simulation, idx: np.ndarray, loc: np.ndarray, c: np.ndarray, day: int) -> np.ndarray:
        """The option each agent ``idx`` (at ``loc`` in country ``c``) takes, drawn ∝ the weights of those open."""
        a, w = sim.agents, sim.world
        ok, cost, leaves = self.places(sim)
        savings = a.savings[idx].astype(np.float64)
        used_after = window_used(sim, idx, c, day) + (day - a.entry_day[idx])
        # the window restarts on re-entry if it is over by then
        wl, wm = w.window_len[c], w.window_max[c]
        restart = (wl >= 0) & (day >= a.window_start[idx].astype(np.int64) + wl)
        room = (wm < 0) | (np.where(restart, 0, used_after) < wm)
        apply = ~np.isnan(w.permit_p[c]) & (a.permit[idx] != PERMIT_REFUSED) & (savings >= w.permit_cost[c])
        part = w.permit_elig[c] < 1
        if part.any():  # only some may apply there: those whose fixed trait falls below the country's share
            apply[part] &= self.trait(a.id[idx[part]]) < w.permit_elig[c[part]]
        wt = np.empty((idx.size, 4))
        wt[:, VISA_RUN] = np.where(ok[loc] & room & (savings >= cost[loc]), self.weights[VISA_RUN], 0.0)
        wt[:, APPLY] = np.where(apply, self.weights[APPLY], 0.0)
        wt[:, MOVE_ON] = np.where(leaves[loc], self.weights[MOVE_ON], 0.0)
        wt[:, GO_HOME] = self.weights[GO_HOME]
        wt[:, APPLY] *= w.permit_w[c]
        wt[:, VISA_RUN] *= w.visa_run_w[c]
        wt[wt.sum(axis=1) == 0, GO_HOME] = 1.0
        cum = np.cumsum(wt, axis=1)
        u = sim.rng["stays"].random(idx.size) * cum[:, -1]
        return np.minimum((u[:, None] >= cum).sum(axis=1), 3)

    def choose(self, sim: Simulation, idx: np.ndarray, day: int) -> None:
        a, w, f = sim.agents, sim.world, sim.eflows
        loc = a.loc[idx]
        c = w.country[loc].astype(np.int64)
        n_c = len(w.permits)
        f.overstays += np.bincount(c, minlength=n_c)
        held = a.permit[idx] == PERMIT  # an expired permit ends
        if held.any():
            n = np.bincount(c[held], minlength=n_c)
            w.permits -= n
            f.permits_ended += n
            a.permit[idx[held]] = NO_PERMIT
        pick = self.pick(sim, idx, loc, c, day)
        v = pick == VISA_RUN
        if v.any():  # out over the border link and back in the same day
            g, cg, lg = idx[v], c[v], loc[v]
            kg = w.visa_run_link[lg]
            ng = w.country[sim.scenario.links.dst[kg]].astype(np.int64)
            a.savings[g] = np.maximum(a.savings[g] - self.places(sim)[1][lg].astype(np.float32), 0)
            for x in (cg, ng):
                n = np.bincount(x, minlength=n_c)
                f.entries += n
                f.exits += n
            first_arrivals(sim, g, ng)  # (the country of the stay was entered before)
            f.border += np.bincount(kg, minlength=len(f.border)) + np.bincount(kg ^ 1, minlength=len(f.border))
            f.visa_runs += np.bincount(cg, minlength=n_c)
            on_exit(sim, g, cg)
            on_entry(sim, g, cg)
        ap = pick == APPLY
        if ap.any():
            g, cg = idx[ap], c[ap]
            a.savings[g] = np.maximum(a.savings[g] - w.permit_cost[cg].astype(np.float32), 0)
            f.applications += np.bincount(cg, minlength=n_c)
            yes = sim.rng["stays"].random(g.size) < w.permit_p[cg]
            a.permit[g] = np.where(yes, PENDING_YES, PENDING_NO)
            a.permit_day[g] = day + w.permit_wait[cg]
            a.allowed_until[g] = day + w.permit_wait[cg]
        mv = pick == MOVE_ON
        if mv.any():
            g = idx[mv]
            a.state[g] = PLAN
            a.route[g] = -1
            a.avoid[g] = c[mv]
        go_home(sim, idx[pick == GO_HOME])
        if self.permits and ap.any():
            g = idx[ap]
            self.decide(sim, day, g[a.permit_day[g] == day])  # applications with no waiting time: decided today
