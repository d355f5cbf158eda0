/** The operations capability's kinds. */
import type { Kind } from '../kind.js';
import { BackupScheduleKind } from './backup-schedule.js';

/** Kinds of src/ops. */
export const OPS_KINDS: Kind[] = [BackupScheduleKind];
