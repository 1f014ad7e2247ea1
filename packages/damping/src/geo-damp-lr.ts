import { GeoDamp, GeoDampOptions } from './geo-damp';

/**
 * GeoDamp's schedule spent on the learning rate: maxBatchSize is initialBatchSize, so the batch stays B0 and
 * lr = lr0 * B0 / (B0 * dampingfactor ** (epochs // dampingdelay)).
 */
export class GeoDampLR extends GeoDamp {
  constructor(options: GeoDampOptions) {
    super(options, { className: 'GeoDampLR', damper: 'geodamplr', options: [], maxIsInitial: true });
  }
}
