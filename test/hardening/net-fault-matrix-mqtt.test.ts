// The network fault matrix over MQTT/TLS.
import { faultMatrix } from './net-fault-matrix';

faultMatrix('mqtt');
