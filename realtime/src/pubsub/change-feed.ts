// The change feed is shared with the backend's database triggers: it lives in common/src/change-feed.ts.
export { ChangeFeed, type ChangeFeedOptions } from '@selfdb/common';
