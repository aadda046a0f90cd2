// tsyringe needs the Reflect metadata API before it is loaded; every file takes tsyringe from here.
import 'reflect-metadata';

export { inject, injectable, instanceCachingFactory, container as globalContainer } from 'tsyringe';
export type { DependencyContainer, InjectionToken } from 'tsyringe';
