export { compilePattern, type Matcher, PatternError } from './event-pattern';
export { compileCidr } from './cidr';
export { compileWildcard, wildcardSegments } from './wildcard';
