export { describeWithReferee, findReferee, requireReferees, type Referee } from './referee.ts';
