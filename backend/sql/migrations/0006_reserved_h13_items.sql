-- Reserved on branch h13-items: migration 6 belongs to parallel work; delete this file
-- when that work's 0006 is merged (it only keeps the numbers 1..n without gaps here).

PRAGMA user_version = 6;
