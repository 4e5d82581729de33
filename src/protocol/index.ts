export * from './casemapping.js';
export * from './isupport.js';
export * from './line-splitter.js';
export * from './mask.js';
export * from './message.js';
export * from './names.js';
export * from './tags.js';
