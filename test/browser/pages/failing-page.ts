// Harness check: a page whose work throws.
import { runPage } from '../page';

runPage(async () => {
  throw new Error('failing-page: boom');
});
