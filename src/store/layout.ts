/**
 * The dataset directory as readers see it: one folder of Parquet parts per table, and folders that are not
 * tables (batches being written, writers' claims). Readers of a dataset import names from here only.
 *
 *   DATA/<table>/<batch>.parquet   committed parts (tableNames)
 *   DATA/_pending/                 batches being written, staged rows spilled (pendingDirName; see parts.ts)
 *   DATA/_claims/                  which writer reads a layer or stores an image (claimsDirName; see claims.ts)
 */
export { tableNames, type TableName } from '../model/schema.js';
import { pendingDirName } from './parts.js';

export { pendingDirName };

export const claimsDirName = '_claims';

/** The folders of a dataset that are not tables. */
export const workDirNames = [pendingDirName, claimsDirName] as const;
