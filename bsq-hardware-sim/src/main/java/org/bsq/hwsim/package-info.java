/** Hardware-cost simulator (issue: hardware simulator); empty until that issue lands. */
package org.bsq.hwsim;
