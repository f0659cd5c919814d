export { describeWithReferee, findReferee, requireReferees, type Referee } from './referee.ts';
export { spawnUntil, type SpawnedChild } from './spawn.ts';
