// The shared provisioning and hub hand-off suite over MQTT/TLS (8883 in the field, the lab's port here).
import { outcomesSuite } from './outcomes-suite';
import { provisioningSuite } from './provisioning-suite';

provisioningSuite('mqtt');
outcomesSuite('mqtt');
