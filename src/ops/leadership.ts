/**
 * The platform's leadership: every server campaigns for the "controllers" lease; the one that
 * holds it runs the ControllerManager and the modules' leader-side parts (admission loop, GC,
 * gateway, local replicas) inside the fenced context, the others only serve the API. Losing the
 * lease stops the controllers, and `lost` resolves so the process can exit and return as a follower.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { FencedBackend } from './fenced-backend.js';
import { LeaderElector, type LeaderElectorTiming } from './leader-elector.js';

/** The lease every Capstan server on one store campaigns for. */
export const CONTROLLERS_LEASE = 'controllers';

/** A server's part in the election. */
export interface Leadership {
  holder: string;
  isLeader(): boolean;
  /** Resolves (with the reason) when this server stops being leader without being asked to. */
  lost: Promise<string>;
  /** Resolves after the first election attempt and, if it won, once `lead` has started everything. */
  firstAttempt: Promise<void>;
  /** Stops campaigning and releases the lease (call after the controllers stopped). */
  stop(): Promise<void>;
}

/** Options of startLeadership. */
export interface LeadershipOptions {
  backend: FencedBackend;
  log: Logger;
  /** Starts the leader-side parts; runs inside the fenced context. */
  lead: () => Promise<void>;
  /** Stops them when leadership is lost. */
  stepDown: () => Promise<void>;
  timing?: Partial<LeaderElectorTiming>;
}

/** Joins the election. */
export function startLeadership(opts: LeadershipOptions): Leadership {
  const holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const log = opts.log.child({ component: 'leader-election' });
  let resolveLost!: (r: string) => void;
  const lost = new Promise<string>((r) => (resolveLost = r));
  let resolveFirst!: () => void;
  const firstAttempt = new Promise<void>((r) => (resolveFirst = r));
  const elector: LeaderElector = new LeaderElector({
    backend: opts.backend,
    lease: CONTROLLERS_LEASE,
    holder,
    timing: opts.timing,
    log,
    onLeading: () => {
      const source = { lease: CONTROLLERS_LEASE, fence: () => elector.fence() };
      opts.backend
        .runAsLeader(source, () => opts.lead())
        .catch((err: unknown) => log.error({ err: (err as Error).message }, 'starting the controllers failed'))
        .finally(resolveFirst);
    },
    onLost: (reason) => {
      resolveFirst();
      opts.stepDown().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'stopping the controllers failed'));
      resolveLost(reason);
    },
    onAttempt: (leading) => {
      if (!leading) resolveFirst();
    },
  });
  elector.start();
  return { holder, isLeader: () => elector.isLeader(), lost, firstAttempt, stop: () => elector.stop() };
}
