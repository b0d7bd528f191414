/** Written once in the contracts, where the job log's writers use it too; the client's name for it stays. */
export { applyEvent } from '@jobcast/contracts/protocol';
